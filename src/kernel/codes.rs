//! What the kernel's refusal codes mean: the ipset error numbers of
//! `linux/netfilter/ipset/ip_set.h` (and errno values), turned into a
//! [`KernelErrorKind`] and a message in the words `ipset` itself uses
//! (libipset's errcode.c), so a user sees the same reason either way.

use crate::addr::Entry;
use crate::error::{Error, KernelErrorKind};

pub const IPSET_ERR_PROTOCOL: i32 = 4097;
pub const IPSET_ERR_FIND_TYPE: i32 = 4098;
pub const IPSET_ERR_MAX_SETS: i32 = 4099;
pub const IPSET_ERR_BUSY: i32 = 4100;
pub const IPSET_ERR_EXIST_SETNAME2: i32 = 4101;
pub const IPSET_ERR_TYPE_MISMATCH: i32 = 4102;
pub const IPSET_ERR_EXIST: i32 = 4103;
pub const IPSET_ERR_INVALID_CIDR: i32 = 4104;
pub const IPSET_ERR_INVALID_FAMILY: i32 = 4106;
pub const IPSET_ERR_TIMEOUT: i32 = 4107;
pub const IPSET_ERR_REFERENCED: i32 = 4108;
pub const IPSET_ERR_IPADDR_IPV4: i32 = 4109;
pub const IPSET_ERR_IPADDR_IPV6: i32 = 4110;
pub const IPSET_ERR_COUNTER: i32 = 4111;
pub const IPSET_ERR_COMMENT: i32 = 4112;
/// Type-specific codes start here; hash types: "hash is full".
pub const IPSET_ERR_TYPE_SPECIFIC: i32 = 4352;
/// Hash types: a null-valued element.
pub const IPSET_ERR_HASH_ELEM: i32 = 4353;
/// list:set: the member set does not exist.
const IPSET_ERR_LIST_NAME: i32 = 4352;
/// list:set: the list is full.
const IPSET_ERR_LIST_FULL: i32 = 4356;

/// The request a refusal answers.
#[derive(Debug, Clone, Copy)]
pub enum Command {
    Create,
    Destroy,
    Flush,
    Swap,
    List,
    Type,
    Add(Entry),
    Del(Entry),
    Test(Entry),
    /// Add a member to a list:set.
    AddMember,
    /// Many elements of one set at once (a batch).
    Batch,
}

impl Command {
    fn what(&self) -> String {
        match self {
            Command::Create => "create".into(),
            Command::Destroy => "destroy".into(),
            Command::Flush => "flush".into(),
            Command::Swap => "swap".into(),
            Command::List => "list".into(),
            Command::Type => "type query".into(),
            Command::Add(e) => format!("add {e}"),
            Command::Del(e) => format!("del {e}"),
            Command::Test(e) => format!("test {e}"),
            Command::AddMember => "add member".into(),
            Command::Batch => "change".into(),
        }
    }

    fn is_list(&self) -> bool {
        matches!(self, Command::AddMember)
    }
}

/// The kind and the stock wording of refusal `code` to `command`.
fn meaning(command: Command, code: i32) -> (KernelErrorKind, String) {
    use KernelErrorKind as K;
    let (kind, text): (K, &str) = match code {
        libc::EPERM | libc::EACCES => (K::NoPermission, "Operation not permitted"),
        libc::EPROTONOSUPPORT => (
            K::NoIpset,
            "Kernel support protocol versions differ or ipset is missing",
        ),
        IPSET_ERR_PROTOCOL => (K::Other, "Kernel error received: ipset protocol error"),
        libc::ENOENT => (K::NoSuchSet, "The set with the given name does not exist"),
        libc::EEXIST => (
            K::SetExists,
            "Set cannot be created: set with the same name already exists",
        ),
        libc::EBUSY => (K::Busy, "Device or resource busy"),
        libc::ENOMEM => (K::Other, "Out of memory"),
        IPSET_ERR_FIND_TYPE => (
            K::NoIpset,
            "Kernel error received: set type not supported (modprobe ip_set_hash_ip ip_set_hash_net ip_set_list_set)",
        ),
        IPSET_ERR_MAX_SETS => (
            K::Other,
            "Kernel error received: maximal number of sets reached, cannot create more",
        ),
        IPSET_ERR_BUSY | IPSET_ERR_REFERENCED => (K::InUse, "it is in use by a kernel component"),
        IPSET_ERR_EXIST_SETNAME2 => match command {
            Command::Swap => (K::NoSuchSet, "The second set does not exist"),
            _ => (K::SetExists, "a set with the same name already exists"),
        },
        IPSET_ERR_TYPE_MISMATCH => (K::Other, "The sets cannot be swapped: their type does not match"),
        IPSET_ERR_EXIST => match command {
            Command::Del(_) => (K::ElementMissing, "Element cannot be deleted from the set: it's not added"),
            _ => (K::ElementExists, "Element cannot be added to the set: it's already added"),
        },
        IPSET_ERR_INVALID_CIDR => (K::Other, "The value of the CIDR parameter of the IP address is invalid"),
        IPSET_ERR_INVALID_FAMILY => (K::Other, "Protocol family not supported by the set type"),
        IPSET_ERR_TIMEOUT => (K::Other, "Timeout cannot be used: set was created without timeout support"),
        IPSET_ERR_IPADDR_IPV4 => (K::Other, "An IPv4 address is expected"),
        IPSET_ERR_IPADDR_IPV6 => (K::Other, "An IPv6 address is expected"),
        IPSET_ERR_COUNTER => (K::Other, "Packet/byte counters cannot be used: set was created without counter support"),
        IPSET_ERR_COMMENT => (K::Other, "Comment cannot be used: set was created without comment support"),
        IPSET_ERR_LIST_NAME if command.is_list() => {
            (K::NoSuchSet, "Set to be added/deleted/tested as element does not exist")
        }
        IPSET_ERR_LIST_FULL if command.is_list() => (K::Full, "Attempt to add a set to an already full list:set"),
        IPSET_ERR_TYPE_SPECIFIC => (K::Full, "Hash is full, cannot add more elements"),
        IPSET_ERR_HASH_ELEM if !command.is_list() => (
            K::Other,
            "Null-valued element, cannot be stored in a hash type of set",
        ),
        c if c > 0 && c < 4096 => {
            return (K::Other, std::io::Error::from_raw_os_error(c).to_string());
        }
        c => return (K::Other, format!("Kernel error received: ipset error {c}")),
    };
    (kind, text.to_string())
}

/// The error for the kernel's refusal `code` of `command` on `set`.
pub fn refusal(command: Command, set: &str, code: i32) -> Error {
    let (kind, message) = meaning(command, code);
    let text = match kind {
        KernelErrorKind::NoPermission => {
            format!("the kernel refused: {message} (mipset needs root or CAP_NET_ADMIN)")
        }
        KernelErrorKind::NoIpset => {
            format!("this kernel has no ipset support ({message}); load it with `modprobe ip_set`")
        }
        KernelErrorKind::Full if !command.is_list() => format!(
            "{}: set {set} is full: the kernel refused more elements (maxelem)",
            command.what()
        ),
        _ => format!("{}: set {set}: {message}", command.what()),
    };
    Error::kernel(kind, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_their_kinds() {
        let e = crate::addr::parse_entry(
            "10.0.0.1",
            crate::addr::SetType::HashIp,
            crate::addr::AddrFamily::Inet,
        )
        .unwrap();
        let kind = |c: Command, code| refusal(c, "s", code).kernel_kind();
        assert_eq!(
            kind(Command::Test(e), libc::ENOENT),
            Some(KernelErrorKind::NoSuchSet)
        );
        assert_eq!(
            kind(Command::Add(e), IPSET_ERR_EXIST),
            Some(KernelErrorKind::ElementExists)
        );
        assert_eq!(
            kind(Command::Del(e), IPSET_ERR_EXIST),
            Some(KernelErrorKind::ElementMissing)
        );
        assert_eq!(kind(Command::Add(e), 4352), Some(KernelErrorKind::Full));
        assert_eq!(
            kind(Command::AddMember, 4352),
            Some(KernelErrorKind::NoSuchSet)
        );
        assert_eq!(
            kind(Command::Destroy, IPSET_ERR_BUSY),
            Some(KernelErrorKind::InUse)
        );
        assert_eq!(
            kind(Command::Swap, libc::EBUSY),
            Some(KernelErrorKind::Busy)
        );
        assert_eq!(
            kind(Command::Create, libc::EEXIST),
            Some(KernelErrorKind::SetExists)
        );
        assert_eq!(
            kind(Command::Create, libc::EPERM),
            Some(KernelErrorKind::NoPermission)
        );
        let text = refusal(Command::Add(e), "web-s1", 4352).to_string();
        assert!(text.contains("web-s1 is full"), "{text}");
    }
}
