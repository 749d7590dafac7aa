//! gobgp 3.10's tables for the rib, the global settings, BMP stations and
//! monitoring lines. Pure: every function takes the API's messages (and
//! the time, for ages) and returns the text.

use std::time::SystemTime;

use super::attrs::{self, Shown};
use crate::api::proto;

/// Which table a rib listing is: it decides the columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The global rib: best marker, no ID, Age.
    Global,
    /// A neighbor's Adj-RIB-In: ID (received path id) and Age.
    AdjIn,
    /// A neighbor's Adj-RIB-Out: ID (our path id), no Age.
    AdjOut,
}

/// The time from `then` to `now` as gobgp prints it: `HH:MM:SS`, or
/// `Nd HH:MM:SS` past a day.
pub fn timedelta(now: SystemTime, then: SystemTime) -> String {
    let seconds = match now.duration_since(then) {
        Ok(d) => d.as_secs(),
        Err(e) => e.duration().as_secs(),
    };
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let clock = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        (rest % 3600) / 60,
        rest % 60
    );
    if days == 0 {
        clock
    } else {
        format!("{days}d {clock}")
    }
}

/// `at` as RFC 3339 in UTC, to the second (`2026-11-27T18:21:28Z`).
pub fn rfc3339(at: SystemTime) -> String {
    let seconds = match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        (rest % 3600) / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// One row's cells before padding.
struct Row {
    best: &'static str,
    id: String,
    prefix: String,
    shown: Shown,
}

/// A rib listing as gobgp's table; `Network not in table` when empty.
pub fn rib(destinations: &[proto::Destination], listing: Listing, now: SystemTime) -> String {
    let rows: Vec<Row> = destinations
        .iter()
        .flat_map(|d| d.paths.iter().map(move |p| (d, p)))
        .map(|(destination, path)| {
            let shown = attrs::show(path);
            Row {
                // gobgp's markers: S for a path kept across its peer's
                // graceful restart, then * (and > for the best).
                best: match (listing, path.stale, path.best) {
                    (Listing::Global, false, true) => "*>",
                    (Listing::Global, false, false) => "*",
                    (Listing::Global, true, true) => "S*>",
                    (Listing::Global, true, false) => "S*",
                    (_, true, _) => "S",
                    _ => "",
                },
                id: match listing {
                    Listing::AdjOut => shown.local_id.to_string(),
                    _ => shown.id.to_string(),
                },
                prefix: destination.prefix.clone(),
                shown,
            }
        })
        .collect();
    if rows.is_empty() {
        return "Network not in table\n".into();
    }
    let width = |get: &dyn Fn(&Row) -> usize| rows.iter().map(get).max().unwrap_or(0).max(20);
    let widths = [
        width(&|r| r.prefix.len()),
        width(&|r| r.shown.next_hop.len()),
        width(&|r| r.shown.as_path.len()),
    ];
    let id = listing != Listing::Global;
    let age = listing != Listing::AdjOut;
    let mut out = line(
        &widths,
        ["", "ID", "Network", "Next Hop", "AS_PATH", "Age", "Attrs"],
        id,
        age,
    );
    for row in &rows {
        let age_text = row
            .shown
            .age
            .map(|then| timedelta(now, then))
            .unwrap_or_default();
        let attrs = format!("[{}]", row.shown.attrs.join(" "));
        out.push_str(&line(
            &widths,
            [
                row.best,
                &row.id,
                &row.prefix,
                &row.shown.next_hop,
                &row.shown.as_path,
                &age_text,
                &attrs,
            ],
            id,
            age,
        ));
    }
    out
}

/// One line of a rib table: `%-3s [%-3s ]%-Ns %-Ns %-Ns [%-10s ]%s`.
fn line(widths: &[usize; 3], cells: [&str; 7], id: bool, age: bool) -> String {
    let [best, id_cell, prefix, next_hop, as_path, age_cell, attrs] = cells;
    let mut out = format!("{best:<3}");
    if id {
        out.push_str(&format!("{id_cell:<3} "));
    }
    out.push_str(&format!(
        "{prefix:<w0$} {next_hop:<w1$} {as_path:<w2$} ",
        w0 = widths[0],
        w1 = widths[1],
        w2 = widths[2]
    ));
    if age {
        out.push_str(&format!("{age_cell:<10} "));
    }
    out.push_str(attrs);
    out.push('\n');
    out
}

/// The family as gobgp's summary names it.
pub fn family_name(ipv6: bool) -> &'static str {
    if ipv6 {
        "afi:AFI_IP6 safi:SAFI_UNICAST"
    } else {
        "afi:AFI_IP safi:SAFI_UNICAST"
    }
}

/// `global rib summary`.
pub fn summary(table: &proto::GetTableResponse, ipv6: bool) -> String {
    format!(
        "Table {}\nDestination: {}, Path: {}\n",
        family_name(ipv6),
        table.num_destination,
        table.num_path
    )
}

/// `global`.
pub fn global(global: &proto::Global) -> String {
    let mut out = format!(
        "AS:        {}\nRouter-ID: {}\n",
        global.asn, global.router_id
    );
    if !global.listen_addresses.is_empty() {
        out.push_str(&format!(
            "Listening Port: {}, Addresses: {}\n",
            global.listen_port,
            global.listen_addresses.join(", ")
        ));
    }
    out
}

/// `ADDR:PORT` of a BMP station (`[ADDR]:PORT` for IPv6).
pub fn station_name(address: &str, port: u32) -> String {
    if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}

/// `bmp`: the stations, Up with their uptime or Down with their downtime.
pub fn bmp(stations: &[proto::list_bmp_response::BmpStation], now: SystemTime) -> String {
    let mut out = format!("{:<23} {:<6} {:<10}\n", "Session", "State", "Uptime");
    for station in stations {
        let name = station
            .conf
            .as_ref()
            .map(|c| station_name(&c.address, c.port))
            .unwrap_or_default();
        let state = station.state.as_ref();
        let (word, since) = match (
            state.and_then(|s| s.uptime.as_ref()),
            state.and_then(|s| s.downtime.as_ref()),
        ) {
            (Some(up), _) => ("Up", Some(up)),
            (None, down) => ("Down", down),
        };
        let since = since
            .map(|t| timedelta(now, attrs::time_of(t)))
            .unwrap_or_else(|| "never".into());
        out.push_str(&format!("{name:<23} {word:<6} {since:<10}\n"));
    }
    out
}

/// One `monitor global rib` line: `TIME [ROUTE] PREFIX via NH aspath [..]
/// attrs [..]`, `[DELROUTE]` for a withdrawal.
pub fn monitor_line(path: &proto::Path, at: SystemTime) -> String {
    let shown = attrs::show(path);
    let kind = if shown.withdrawal {
        "DELROUTE"
    } else {
        "ROUTE"
    };
    format!(
        "{} [{kind}] {} via {} aspath [{}] attrs [{}]\n",
        rfc3339(at),
        shown.prefix,
        shown.next_hop,
        shown.as_path,
        shown.attrs.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use prost_types::Any;

    use super::*;
    use crate::api::proto::list_bmp_response::{bmp_station, BmpStation};

    fn any<M: prost::Name>(m: &M) -> Any {
        Any::from_msg(m).expect("encode")
    }

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn stamp(seconds: i64) -> prost_types::Timestamp {
        prost_types::Timestamp { seconds, nanos: 0 }
    }

    fn path(prefix: &str, len: u32, next_hop: &str, asns: &[u32], best: bool) -> proto::Path {
        let segments = if asns.is_empty() {
            vec![]
        } else {
            vec![proto::AsSegment {
                r#type: 2,
                numbers: asns.to_vec(),
            }]
        };
        proto::Path {
            nlri: Some(any(&proto::IpAddressPrefix {
                prefix_len: len,
                prefix: prefix.into(),
            })),
            pattrs: vec![
                any(&proto::OriginAttribute { origin: 2 }),
                any(&proto::AsPathAttribute { segments }),
                any(&proto::NextHopAttribute {
                    next_hop: next_hop.into(),
                }),
                any(&proto::MultiExitDiscAttribute { med: 10 }),
            ],
            age: Some(stamp(1000)),
            best,
            identifier: 7,
            local_identifier: 1,
            ..Default::default()
        }
    }

    fn destination(prefix: &str, paths: Vec<proto::Path>) -> proto::Destination {
        proto::Destination {
            prefix: prefix.into(),
            paths,
        }
    }

    #[test]
    fn ages_are_clock_times_then_days() {
        assert_eq!(timedelta(at(1064), at(1000)), "00:01:04");
        assert_eq!(timedelta(at(90_061), at(0)), "1d 01:01:01");
        assert_eq!(timedelta(at(0), at(5)), "00:00:05");
    }

    #[test]
    fn rfc3339_is_utc_to_the_second() {
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00Z");
        // 2024-02-29T12:34:56Z, a leap day.
        assert_eq!(rfc3339(at(1_709_210_096)), "2024-02-29T12:34:56Z");
        assert_eq!(rfc3339(at(1_798_392_088)), "2026-12-27T17:21:28Z");
    }

    #[test]
    fn the_global_rib_is_gobgps_table() {
        let table = rib(
            &[
                destination(
                    "10.0.0.0/24",
                    vec![path("10.0.0.0", 24, "192.0.2.2", &[65002], true)],
                ),
                destination(
                    "10.9.0.0/24",
                    vec![path("10.9.0.0", 24, "0.0.0.0", &[], false)],
                ),
            ],
            Listing::Global,
            at(1064),
        );
        let want = "   Network              Next Hop             AS_PATH              Age        Attrs\n\
                    *> 10.0.0.0/24          192.0.2.2            65002                00:01:04   [{Origin: ?} {Med: 10}]\n\
                    *  10.9.0.0/24          0.0.0.0                                   00:01:04   [{Origin: ?} {Med: 10}]\n";
        assert_eq!(table, want);
    }

    #[test]
    fn a_stale_path_is_marked_s() {
        let mut stale = path("10.0.0.0", 24, "192.0.2.2", &[65002], true);
        stale.stale = true;
        let table = rib(
            &[destination("10.0.0.0/24", vec![stale])],
            Listing::Global,
            at(1064),
        );
        assert!(table.contains("\nS*>10.0.0.0/24 "), "{table}");
    }

    #[test]
    fn columns_grow_to_the_longest_value() {
        let long = "2001:db8:1234:5678:9abc::/80";
        let table = rib(
            &[destination(
                long,
                vec![path("2001:db8:1234:5678:9abc::", 80, "::", &[1], true)],
            )],
            Listing::Global,
            at(1000),
        );
        let header = table.lines().next().expect("header");
        assert_eq!(
            header,
            format!(
                "   {:<28} {:<20} {:<20} {:<10} Attrs",
                "Network", "Next Hop", "AS_PATH", "Age"
            )
        );
        assert!(table.contains(&format!("*> {long} ::")), "{table}");
    }

    #[test]
    fn adj_in_has_ids_and_adj_out_has_no_age() {
        let routes = [destination(
            "10.0.0.0/24",
            vec![path("10.0.0.0", 24, "192.0.2.2", &[65002], true)],
        )];
        let adj_in = rib(&routes, Listing::AdjIn, at(1064));
        assert_eq!(
            adj_in,
            "   ID  Network              Next Hop             AS_PATH              Age        Attrs\n   \
             7   10.0.0.0/24          192.0.2.2            65002                00:01:04   [{Origin: ?} {Med: 10}]\n"
        );
        let adj_out = rib(&routes, Listing::AdjOut, at(1064));
        assert_eq!(
            adj_out,
            "   ID  Network              Next Hop             AS_PATH              Attrs\n   \
             1   10.0.0.0/24          192.0.2.2            65002                [{Origin: ?} {Med: 10}]\n"
        );
    }

    #[test]
    fn an_empty_table_says_so() {
        assert_eq!(rib(&[], Listing::Global, at(0)), "Network not in table\n");
    }

    #[test]
    fn global_and_summary_match_gobgp() {
        let text = global(&proto::Global {
            asn: 65001,
            router_id: "192.0.2.1".into(),
            listen_port: 179,
            listen_addresses: vec!["192.0.2.1".into(), "2001:db8::1".into()],
            ..Default::default()
        });
        assert_eq!(
            text,
            "AS:        65001\nRouter-ID: 192.0.2.1\nListening Port: 179, Addresses: 192.0.2.1, 2001:db8::1\n"
        );
        let table = proto::GetTableResponse {
            num_destination: 2,
            num_path: 3,
            num_accepted: 0,
        };
        assert_eq!(
            summary(&table, true),
            "Table afi:AFI_IP6 safi:SAFI_UNICAST\nDestination: 2, Path: 3\n"
        );
    }

    #[test]
    fn bmp_stations_show_state_and_time() {
        let station = |address: &str, up: bool| BmpStation {
            conf: Some(bmp_station::Conf {
                address: address.into(),
                port: 11019,
            }),
            state: Some(bmp_station::State {
                uptime: up.then(|| stamp(997)),
                downtime: (!up).then(|| stamp(990)),
            }),
        };
        let text = bmp(
            &[station("127.0.0.1", true), station("::1", false)],
            at(1000),
        );
        assert_eq!(
            text,
            "Session                 State  Uptime    \n\
             127.0.0.1:11019         Up     00:00:03  \n\
             [::1]:11019             Down   00:00:10  \n"
        );
    }

    #[test]
    fn monitor_lines_name_route_and_delroute() {
        let mut p = path("10.3.0.0", 16, "192.0.2.2", &[65002], true);
        assert_eq!(
            monitor_line(&p, at(0)),
            "1970-01-01T00:00:00Z [ROUTE] 10.3.0.0/16 via 192.0.2.2 aspath [65002] attrs [{Origin: ?} {Med: 10}]\n"
        );
        p.is_withdraw = true;
        assert!(monitor_line(&p, at(0)).contains(" [DELROUTE] 10.3.0.0/16 via"));
    }
}
