//! The kernel refusing mipset's own requests in awkward places: a refused
//! batch message ends the call with an error (it once waited forever for
//! an acknowledgement cut off with the echoed request), and a family create
//! whose umbrella name was taken meanwhile leaves the foreign list:set as
//! it was. Found by review (issue 12 follow-up).

use mipset::addr::{AddrFamily, Entry};
use mipset::error::KernelErrorKind;
use mipset::kernel::batch::{self, Element, Op};

use crate::util::{kernel_tests_enabled, Netns};

#[test]
fn a_refused_batch_message_is_an_error_not_a_hang() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.ok("ipset", &["create", "tiny", "hash:ip", "maxelem", "64"]);
    let done = ns.in_thread(|| {
        let entries: Vec<Entry> = (0..3000u32)
            .map(|i| Entry::host(std::net::Ipv4Addr::from(0x0a00_0000 + i).into()))
            .collect();
        batch::apply(
            Op::Add,
            "tiny",
            AddrFamily::Inet,
            true,
            entries.into_iter().map(Element::plain),
        )
    });
    let e = done.expect_err("a full set refuses the batch");
    assert_eq!(e.kernel_kind(), Some(KernelErrorKind::Full), "{e}");
}

#[test]
fn a_create_racing_a_foreign_umbrella_leaves_it_untouched() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    // Made after mipset's own check would have run: create_family is the
    // one-send step that follows it.
    ns.ok("ipset", &["create", "web", "list:set", "comment"]);
    let before = ns.ipset_save();
    let spec = family_spec();
    let result = ns.in_thread(move || mipset::kernel::create::create_family(&spec));
    let e = result.expect_err("the umbrella name is taken");
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(
        ns.ipset_save(),
        before,
        "the foreign list:set was changed or shards remain"
    );
}

/// A 4-shard hash:ip family as `mipset create` would define it.
fn family_spec() -> mipset::meta::FamilySpec {
    mipset::meta::decode(
        "web",
        "mipset:v1 shard=0/4 type=hash:ip family=inet route=bits:0 hashsize=64 maxelem=4096 timeout=none counters=0 comment=0",
    )
    .expect("metadata decodes")
    .0
}
