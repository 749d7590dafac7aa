//! Policy statements: raw conditions and actions into checked ones.

use std::net::IpAddr;

use ipnet::IpNet;

use super::error::{Invalid, Problem};
use super::policy::{family_list, RawActions, RawCommunityMethod, RawComparison, RawConditions};
use super::policy_types::*;
use super::Notes;

/// An enum value from a string, or `None` with a warning (gobgpd drops it).
fn keyword<T: Copy>(
    value: Option<&str>,
    table: &[(&str, Option<T>)],
    key: &str,
    notes: &mut Notes,
) -> Option<T> {
    let text = value?.trim();
    if text.is_empty() {
        return None;
    }
    match table
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
    {
        Some((_, value)) => *value,
        None => {
            notes.warn(format!(
                "{key}: unknown value {text:?} ignored, as by gobgpd"
            ));
            None
        }
    }
}

fn set_match(
    set: Option<&String>,
    options: Option<&String>,
    names: &[String],
    kind: &'static str,
    key: &str,
    notes: &mut Notes,
) -> Result<Option<SetMatch>, Invalid> {
    let Some(set) = set.map(|s| s.trim()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if !names.iter().any(|n| n == set) {
        return Err(Invalid::new(key, Problem::UnknownSet(kind, set.to_owned())));
    }
    let table = [
        ("any", Some(MatchSetOptions::Any)),
        ("all", Some(MatchSetOptions::All)),
        ("invert", Some(MatchSetOptions::Invert)),
    ];
    let options = keyword(
        options.map(String::as_str),
        &table,
        &format!("{key}.match-set-options"),
        notes,
    )
    .unwrap_or_default();
    Ok(Some(SetMatch {
        set: set.to_owned(),
        options,
    }))
}

fn comparison(raw: Option<&RawComparison>, key: &str, notes: &mut Notes) -> Option<Comparison> {
    let raw = raw?;
    let table = [
        ("eq", Some(Operator::Eq)),
        ("ge", Some(Operator::Ge)),
        ("le", Some(Operator::Le)),
        ("attribute-eq", Some(Operator::Eq)),
        ("attribute-ge", Some(Operator::Ge)),
        ("attribute-le", Some(Operator::Le)),
    ];
    let operator = keyword(
        raw.operator.as_deref(),
        &table,
        &format!("{key}.operator"),
        notes,
    )?;
    Some(Comparison {
        operator,
        value: raw.value.unwrap_or(0),
    })
}

const ORIGINS: [(&str, Option<Origin>); 3] = [
    ("igp", Some(Origin::Igp)),
    ("egp", Some(Origin::Egp)),
    ("incomplete", Some(Origin::Incomplete)),
];

/// Checks a statement's conditions against the defined sets.
pub(crate) fn conditions(
    raw: &RawConditions,
    sets: &DefinedSets,
    key: &str,
    notes: &mut Notes,
) -> Result<Conditions, Invalid> {
    let key = format!("{key}.conditions");
    let names =
        |list: &[NamedList]| -> Vec<String> { list.iter().map(|s| s.name.clone()).collect() };
    let prefix_names: Vec<String> = sets.prefix_sets.iter().map(|s| s.name.clone()).collect();
    let neighbor_names: Vec<String> = sets.neighbor_sets.iter().map(|s| s.name.clone()).collect();
    for (present, field) in [
        (raw.call_policy.is_some(), "call-policy"),
        (raw.install_protocol_eq.is_some(), "install-protocol-eq"),
        (raw.igp_conditions.is_some(), "igp-conditions"),
        (raw.match_tag_set.is_some(), "match-tag-set"),
    ] {
        if present {
            notes.unsupported(format!("{key}.{field}"));
        }
    }
    let bgp = &raw.bgp_conditions;
    let bgp_key = format!("{key}.bgp-conditions");
    let community_names = names(&sets.community_sets);
    let ext_names = names(&sets.ext_community_sets);
    let large_names = names(&sets.large_community_sets);
    let as_path_names = names(&sets.as_path_sets);
    let mut out = Conditions {
        prefix_set: match &raw.match_prefix_set {
            Some(m) => set_match(
                m.prefix_set.as_ref(),
                m.match_set_options.as_ref(),
                &prefix_names,
                "prefix set",
                &format!("{key}.match-prefix-set"),
                notes,
            )?,
            None => None,
        },
        neighbor_set: match &raw.match_neighbor_set {
            Some(m) => set_match(
                m.neighbor_set.as_ref(),
                m.match_set_options.as_ref(),
                &neighbor_names,
                "neighbor set",
                &format!("{key}.match-neighbor-set"),
                notes,
            )?,
            None => None,
        },
        ..Conditions::default()
    };
    if let Some(m) = &bgp.match_community_set {
        let k = format!("{bgp_key}.match-community-set");
        out.community_set = set_match(
            m.community_set.as_ref(),
            m.match_set_options.as_ref(),
            &community_names,
            "community set",
            &k,
            notes,
        )?;
    }
    if let Some(m) = &bgp.match_ext_community_set {
        let k = format!("{bgp_key}.match-ext-community-set");
        out.ext_community_set = set_match(
            m.ext_community_set.as_ref(),
            m.match_set_options.as_ref(),
            &ext_names,
            "ext-community set",
            &k,
            notes,
        )?;
    }
    if let Some(m) = &bgp.match_large_community_set {
        let k = format!("{bgp_key}.match-large-community-set");
        out.large_community_set = set_match(
            m.large_community_set.as_ref(),
            m.match_set_options.as_ref(),
            &large_names,
            "large-community set",
            &k,
            notes,
        )?;
    }
    if let Some(m) = &bgp.match_as_path_set {
        let k = format!("{bgp_key}.match-as-path-set");
        out.as_path_set = set_match(
            m.as_path_set.as_ref(),
            m.match_set_options.as_ref(),
            &as_path_names,
            "as-path set",
            &k,
            notes,
        )?;
    }
    out.as_path_length = comparison(
        bgp.as_path_length.as_ref(),
        &format!("{bgp_key}.as-path-length"),
        notes,
    );
    out.community_count = comparison(
        bgp.community_count.as_ref(),
        &format!("{bgp_key}.community-count"),
        notes,
    );
    let route_types = [
        ("internal", Some(RouteType::Internal)),
        ("external", Some(RouteType::External)),
        ("local", Some(RouteType::Local)),
        ("none", None),
    ];
    out.route_type = keyword(
        bgp.route_type.as_deref(),
        &route_types,
        &format!("{bgp_key}.route-type"),
        notes,
    );
    let rpki = [
        ("valid", Some(RpkiValidation::Valid)),
        ("invalid", Some(RpkiValidation::Invalid)),
        ("not-found", Some(RpkiValidation::NotFound)),
        ("none", None),
    ];
    out.rpki_validation = keyword(
        bgp.rpki_validation_result.as_deref(),
        &rpki,
        &format!("{bgp_key}.rpki-validation-result"),
        notes,
    );
    for entry in bgp.next_hop_in_list.iter().flatten() {
        let text = entry.trim();
        let net = match text.parse::<IpAddr>() {
            Ok(addr) => IpNet::from(addr),
            Err(_) => text.parse::<IpNet>().map_err(|_| {
                Invalid::new(
                    format!("{bgp_key}.next-hop-in-list"),
                    Problem::InvalidPrefix(entry.clone()),
                )
            })?,
        };
        out.next_hop_in_list.push(net);
    }
    if let Some(list) = &bgp.afi_safi_in_list {
        out.afi_safi_in_list = family_list(list, &format!("{bgp_key}.afi-safi-in-list"))?;
    }
    out.med_eq = bgp.med_eq;
    out.origin_eq = keyword(
        bgp.origin_eq.as_deref(),
        &ORIGINS,
        &format!("{bgp_key}.origin-eq"),
        notes,
    );
    out.local_pref_eq = bgp.local_pref_eq;
    Ok(out)
}

/// Checks a statement's actions.
pub(crate) fn actions(raw: &RawActions, key: &str, notes: &mut Notes) -> Result<Actions, Invalid> {
    let key = format!("{key}.actions");
    let dispositions = [
        ("accept-route", Some(RouteDisposition::Accept)),
        ("reject-route", Some(RouteDisposition::Reject)),
        ("none", Some(RouteDisposition::None)),
    ];
    let mut out = Actions {
        route_disposition: keyword(
            raw.route_disposition.as_deref(),
            &dispositions,
            &format!("{key}.route-disposition"),
            notes,
        )
        .unwrap_or_default(),
        ..Actions::default()
    };
    if raw.igp_actions.is_some() {
        notes.unsupported(format!("{key}.igp-actions"));
    }
    let bgp = &raw.bgp_actions;
    let bgp_key = format!("{key}.bgp-actions");
    if let Some(text) = bgp
        .set_med
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        out.set_med = Some(med(text).ok_or_else(|| {
            Invalid::new(
                format!("{bgp_key}.set-med"),
                Problem::InvalidSetMed(text.to_owned()),
            )
        })?);
    }
    out.set_local_pref = bgp.set_local_pref.filter(|&n| n != 0);
    if let Some(text) = bgp
        .set_next_hop
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        out.set_next_hop = Some(match text.to_ascii_lowercase().as_str() {
            "self" => NextHopAction::OwnAddress,
            "unchanged" => NextHopAction::Unchanged,
            "peer-address" => NextHopAction::PeerAddress,
            _ => NextHopAction::Address(text.parse().map_err(|_| {
                Invalid::new(
                    format!("{bgp_key}.set-next-hop"),
                    Problem::InvalidNextHop(text.to_owned()),
                )
            })?),
        });
    }
    out.set_route_origin = keyword(
        bgp.set_route_origin.as_deref(),
        &ORIGINS,
        &format!("{bgp_key}.set-route-origin"),
        notes,
    );
    if let Some(prepend) = &bgp.set_as_path_prepend {
        let text = prepend.asn.as_deref().unwrap_or_default().trim();
        let asn = if text.eq_ignore_ascii_case("last-as") {
            PrependAs::LastAs
        } else {
            PrependAs::Asn(text.parse().map_err(|_| {
                Invalid::new(
                    format!("{bgp_key}.set-as-path-prepend.as"),
                    Problem::InvalidPrependAs(text.to_owned()),
                )
            })?)
        };
        out.as_path_prepend = Some(Prepend {
            asn,
            repeat: prepend.repeat_n.unwrap_or(0),
        });
    }
    if let Some(c) = &bgp.set_community {
        let k = format!("{bgp_key}.set-community");
        out.set_community =
            community_action(c.options.as_deref(), &c.set_community_method, &k, notes)?;
    }
    if let Some(c) = &bgp.set_ext_community {
        let k = format!("{bgp_key}.set-ext-community");
        out.set_ext_community =
            community_action(c.options.as_deref(), &c.set_ext_community_method, &k, notes)?;
    }
    if let Some(c) = &bgp.set_large_community {
        let k = format!("{bgp_key}.set-large-community");
        out.set_large_community = community_action(
            c.options.as_deref(),
            &c.set_large_community_method,
            &k,
            notes,
        )?;
    }
    Ok(out)
}

/// `^(\+|-)?(\d+)$`.
fn med(text: &str) -> Option<MedAction> {
    let digits = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if let Some(rest) = text.strip_prefix('+') {
        digits(rest).map(MedAction::Add)
    } else if let Some(rest) = text.strip_prefix('-') {
        digits(rest).map(MedAction::Subtract)
    } else {
        digits(text).map(MedAction::Set)
    }
}

fn community_action(
    options: Option<&str>,
    method: &RawCommunityMethod,
    key: &str,
    notes: &mut Notes,
) -> Result<Option<CommunityAction>, Invalid> {
    if method.community_set_ref.is_some() {
        notes.unsupported(format!("{key}.community-set-ref"));
    }
    let communities = method.communities_list.clone().unwrap_or_default();
    if communities.is_empty() {
        return Ok(None);
    }
    let text = options.unwrap_or_default().trim();
    let option = match text.to_ascii_lowercase().as_str() {
        "add" => CommunityOption::Add,
        "remove" => CommunityOption::Remove,
        "replace" => CommunityOption::Replace,
        _ => {
            return Err(Invalid::new(
                format!("{key}.options"),
                Problem::InvalidCommunityOption(text.to_owned()),
            ))
        }
    };
    Ok(Some(CommunityAction {
        option,
        communities,
    }))
}
