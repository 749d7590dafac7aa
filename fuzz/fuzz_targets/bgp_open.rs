//! Fuzzes the OPEN decoder (capabilities, optional parameters, RFC 9072
//! extended length). Whatever decodes must re-encode to a message that
//! decodes to the same value.
#![no_main]

use bgpd::wire::bgp;
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(open) = bgp::Open::decode(Bytes::copy_from_slice(data)) else {
        return;
    };
    let message = bgp::Message::Open(open);
    let cx = bgp::Negotiated::default();
    let mut out = BytesMut::new();
    if message.encode(&mut out, &cx).is_ok() {
        let again = bgp::Message::decode(out.freeze(), &cx).expect("re-encoded OPEN decodes");
        assert_eq!(again, message);
    }
});
