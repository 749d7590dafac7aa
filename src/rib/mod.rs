//! The rib task: the one owner of routing state.
//!
//! Adj-RIB-In per peer (as received and after import policy), Loc-RIB with
//! best-path selection, and Adj-RIB-Out per peer. Peer tasks talk to it
//! through [`event::PeerEvent`]; it answers each session with
//! [`event::Export`].

pub mod event;
