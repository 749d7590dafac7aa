//! `bmpd`: a BMP collector printing one JSON object per message.

fn main() {}
