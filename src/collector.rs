//! The `bmpd` collector: accepts BMP speakers and prints each message as JSON.
