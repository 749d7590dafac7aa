//! Fuzzes BMP framing and decoding, and the collector's decoding of the
//! BGP messages inside. A decoded message must re-encode to the same bytes.
#![no_main]

use std::net::SocketAddr;

use bgpd::collector::Decoder;
use bgpd::wire::bmp;
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = bmp::frame_len(data);
    let bytes = Bytes::copy_from_slice(data);
    if let Ok(message) = bmp::Message::decode(bytes.clone()) {
        let mut out = BytesMut::new();
        message.encode(&mut out).expect("a decoded message encodes");
        assert_eq!(&out[..], data);
    }
    let mut decoder = Decoder::new(SocketAddr::from(([127, 0, 0, 1], 1)), false);
    let _ = decoder.to_json(bytes);
});
