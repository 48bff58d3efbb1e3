//! The numbers of the ipset netlink protocol, version 7, that mipset uses
//! (`linux/netfilter/ipset/ip_set.h`, netlink's flags): one table for every
//! request builder and reply decoder.

pub(crate) const ATTR_ADT: u16 = 8;
/// Missing from older copies of `ip_set.h`: hash:ip `bitmask`.
pub(crate) const ATTR_BITMASK: u16 = 12;
pub(crate) const ATTR_BUCKETSIZE: u16 = 21;
pub(crate) const ATTR_BYTES: u16 = 24;
pub(crate) const ATTR_CADT_FLAGS: u16 = 8;
pub(crate) const ATTR_CIDR: u16 = 3;
pub(crate) const ATTR_COMMENT: u16 = 26;
pub(crate) const ATTR_DATA: u16 = 7;
pub(crate) const ATTR_ELEMENTS: u16 = 24;
pub(crate) const ATTR_FAMILY: u16 = 5;
pub(crate) const ATTR_FLAGS: u16 = 6;
pub(crate) const ATTR_HASHSIZE: u16 = 18;
pub(crate) const ATTR_INITVAL: u16 = 17;
pub(crate) const ATTR_IP: u16 = 1;
pub(crate) const ATTR_IPADDR_IPV4: u16 = 1;
pub(crate) const ATTR_IPADDR_IPV6: u16 = 2;
pub(crate) const ATTR_IP_TO: u16 = 2;
pub(crate) const ATTR_LINENO: u16 = 9;
pub(crate) const ATTR_MARKMASK: u16 = 11;
pub(crate) const ATTR_MAXELEM: u16 = 19;
pub(crate) const ATTR_MEMSIZE: u16 = 26;
pub(crate) const ATTR_NAME: u16 = 18;
pub(crate) const ATTR_NETMASK: u16 = 20;
pub(crate) const ATTR_PACKETS: u16 = 25;
pub(crate) const ATTR_PORT: u16 = 4;
pub(crate) const ATTR_PORT_TO: u16 = 5;
pub(crate) const ATTR_REFERENCES: u16 = 25;
pub(crate) const ATTR_REVISION: u16 = 4;
pub(crate) const ATTR_REVISION_MIN: u16 = 10;
pub(crate) const ATTR_SETNAME: u16 = 2;
pub(crate) const ATTR_SIZE: u16 = 23;
pub(crate) const ATTR_SKBMARK: u16 = 27;
pub(crate) const ATTR_SKBPRIO: u16 = 28;
pub(crate) const ATTR_SKBQUEUE: u16 = 29;
pub(crate) const ATTR_TIMEOUT: u16 = 6;
pub(crate) const ATTR_TYPENAME: u16 = 3;
pub(crate) const CMD_ADD: u16 = 9;
pub(crate) const CMD_CREATE: u16 = 2;
pub(crate) const CMD_DEL: u16 = 10;
pub(crate) const CMD_DESTROY: u16 = 3;
pub(crate) const CMD_FLUSH: u16 = 4;
pub(crate) const CMD_HEADER: u16 = 12;
pub(crate) const CMD_SWAP: u16 = 6;
pub(crate) const CMD_TEST: u16 = 11;
pub(crate) const CMD_TYPE: u16 = 13;
/// IPSET_FLAG_LIST_HEADER (in IPSET_ATTR_FLAGS): headers only, no elements.
pub(crate) const FLAG_LIST_HEADER: u32 = 1 << 2;
/// IPSET_ATTR_CADT_FLAGS bits.
pub(crate) const FLAG_NOMATCH: u32 = 1 << 2;
pub(crate) const FLAG_WITH_COMMENT: u32 = 1 << 4;
pub(crate) const FLAG_WITH_COUNTERS: u32 = 1 << 3;
pub(crate) const FLAG_WITH_SKBINFO: u32 = 1 << 6;
pub(crate) const NFPROTO_IPV4: u8 = 2;
pub(crate) const NFPROTO_IPV6: u8 = 10;
pub(crate) const NFPROTO_UNSPEC: u8 = 0;
pub(crate) const NLM_F_DUMP: u16 = 0x300;
pub(crate) const NLM_F_EXCL: u16 = 0x200;
pub(crate) const IPSET_CMD_LIST: u16 = 7;
pub(crate) const NLM_F_ACK: u16 = 0x4;
