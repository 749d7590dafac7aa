//! Fuzzes the UPDATE decoder under four session contexts (2/4-octet AS,
//! with and without ADD-PATH). Whatever decodes must encode and decode
//! again to the same value (the same prefixes, when attribute errors were
//! dropped).
#![no_main]

use bgpd::wire::{bgp, Family};
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let mut cx = bgp::Negotiated {
        four_octet_as: selector & 1 == 1,
        extended_message: true,
        external: selector & 4 == 4,
        ..bgp::Negotiated::default()
    };
    if selector & 2 == 2 {
        cx.add_path_receive = [Family::IPV4_UNICAST, Family::IPV6_UNICAST].into();
    }
    let Ok(update) = bgp::Update::decode(Bytes::copy_from_slice(body), &cx) else {
        return;
    };
    let mut out = BytesMut::new();
    if update.encode(&mut out, &cx.mirrored()).is_ok() {
        let again = bgp::Update::decode(out.freeze(), &cx).expect("re-encoded UPDATE decodes");
        if update.errors.is_empty() {
            assert_eq!(again, update);
        } else {
            // The erroneous attributes are not re-encoded, so a
            // treat-as-withdraw UPDATE comes back as an announcement: the
            // prefixes are the same, their direction may not be.
            let total = |u: &bgp::Update| u.announced().count() + u.withdrawals().count();
            assert_eq!(total(&again), total(&update));
        }
    }
});
