//! bgpd: a BGP speaker whose reason to exist is monitoring.
//!
//! Every route the daemon learns, selects and sends can be streamed to BMP
//! collectors (RFC 7854, RFC 9069 Loc-RIB, RFC 8671 Adj-RIB-Out).
//!
//! # Layout
//!
//! - [`wire`]: pure codecs between bytes and values, for BGP ([`wire::bgp`])
//!   and BMP ([`wire::bmp`]). It imports nothing else from the crate, so it
//!   can be tested and fuzzed without a runtime.
//! - [`config`]: gobgpd's TOML configuration file, parsed and checked.
//! - [`policy`]: gobgpd's routing policies, compiled once per configuration
//!   load and evaluated per route ([`policy::PolicyEngine`]).
//! - [`rib`]: the rib task, sole owner of routing state; [`rib::event`]
//!   holds the messages peer tasks and the rib exchange.
//! - [`fsm`]: the pure RFC 4271 state machine of one connection.
//! - [`peer`]: one task per neighbor driving the FSM over TCP (collision
//!   detection, framing, prefix limits).
//! - [`daemon`]: wiring: the rib, listeners, peer tasks, reload and
//!   shutdown ([`daemon::run`]).
//! - [`log`]: gobgpd-style JSON log lines.
//! - [`bmp`]: the BMP client: one task per `[[bmp-servers]]` station,
//!   streaming the rib's monitoring feed ([`bmp::encode`] holds the pure
//!   conversions).
//! - [`api`]: the management API (gRPC, GoBGP v3's `apipb.GobgpApi`
//!   subset), answering from the rib task.
//! - [`collector`]: the `bmpd` collector: accepts BMP speakers and renders
//!   each message as one JSON object.
//! - [`ctl`]: `bgpctl`, gobgp's command line over the API (commands,
//!   connection, tables and JSON).
//!
//! The binaries are thin `main`s over this library: `bgpd` (the daemon),
//! `bmpd` (the collector) and `bgpctl` (the command line), in `src/main.rs`
//! and `src/bin/`.

pub mod api;
pub mod bmp;
pub mod collector;
pub mod config;
pub mod ctl;
pub mod daemon;
pub mod fsm;
pub mod log;
pub mod peer;
pub mod policy;
pub mod rib;
pub mod systemd;
pub mod wire;
