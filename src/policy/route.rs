//! The route under evaluation: its attributes as received, decoded only
//! when a condition asks, with the changes made by actions kept beside
//! them ([`Changes`]) and applied once, when the route is accepted.

use std::cell::OnceCell;
use std::sync::Arc;

use super::conditions::Reads;
use crate::rib::attrs::PathAttrs;
use crate::wire::bgp::{
    AsPath, AttrType, AttrValue, Community, ExtendedCommunity, LargeCommunity, NextHop, Origin,
    PathAttribute,
};

/// What actions changed, each field replacing the received value. An
/// empty community list removes the attribute.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Changes {
    pub communities: Option<Vec<Community>>,
    pub ext_communities: Option<Vec<ExtendedCommunity>>,
    pub large_communities: Option<Vec<LargeCommunity>>,
    pub med: Option<u32>,
    pub local_pref: Option<u32>,
    pub as_path: Option<AsPath>,
    pub next_hop: Option<NextHop>,
    pub origin: Option<Origin>,
}

impl Changes {
    /// No action changed anything.
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }

    /// The attributes changed, as [`Reads`] bits (the next hop is not
    /// among them: no attribute condition reads it).
    pub fn touched(&self) -> u8 {
        let mut bits = 0;
        for (changed, bit) in [
            (self.med.is_some(), Reads::MED),
            (self.origin.is_some(), Reads::ORIGIN),
            (self.local_pref.is_some(), Reads::LOCAL_PREF),
            (self.as_path.is_some(), Reads::AS_PATH),
            (self.communities.is_some(), Reads::COMMUNITIES),
            (self.ext_communities.is_some(), Reads::EXT_COMMUNITIES),
            (self.large_communities.is_some(), Reads::LARGE_COMMUNITIES),
        ] {
            if changed {
                bits |= bit;
            }
        }
        bits
    }

    /// `base` with the changes made.
    pub fn apply_to(&self, base: &PathAttrs) -> PathAttrs {
        let mut attributes = base.attributes().into_owned();
        let mut put = |attr_type: AttrType, value: Option<AttrValue>| {
            let code = u8::from(attr_type);
            let slot = attributes.binary_search_by_key(&code, PathAttribute::type_code);
            match (slot, value) {
                (Ok(i), Some(value)) => {
                    if let Some(attribute) = attributes.get_mut(i) {
                        attribute.value = value;
                    }
                }
                (Err(i), Some(value)) => attributes.insert(i, PathAttribute::new(value)),
                (Ok(i), None) => {
                    attributes.remove(i);
                }
                (Err(_), None) => {}
            }
        };
        if let Some(origin) = self.origin {
            put(AttrType::Origin, Some(AttrValue::Origin(origin)));
        }
        if let Some(path) = &self.as_path {
            put(AttrType::AsPath, Some(AttrValue::AsPath(path.clone())));
        }
        if let Some(med) = self.med {
            put(AttrType::MultiExitDisc, Some(AttrValue::MultiExitDisc(med)));
        }
        if let Some(local_pref) = self.local_pref {
            put(AttrType::LocalPref, Some(AttrValue::LocalPref(local_pref)));
        }
        if let Some(communities) = &self.communities {
            put(
                AttrType::Communities,
                list(communities, AttrValue::Communities),
            );
        }
        if let Some(ext) = &self.ext_communities {
            put(
                AttrType::ExtendedCommunities,
                list(ext, AttrValue::ExtendedCommunities),
            );
        }
        if let Some(large) = &self.large_communities {
            put(
                AttrType::LargeCommunities,
                list(large, AttrValue::LargeCommunities),
            );
        }
        let next_hop = self.next_hop.or_else(|| base.next_hop().copied());
        PathAttrs::new(attributes, next_hop)
    }
}

/// A list attribute's new value: none (removed) when the list is empty
/// (gobgpd sends an empty extended-communities attribute, a bug we do not
/// copy).
fn list<T: Clone>(list: &[T], wrap: fn(Vec<T>) -> AttrValue) -> Option<AttrValue> {
    (!list.is_empty()).then(|| wrap(list.to_vec()))
}

/// A route's attributes during evaluation.
#[derive(Debug)]
pub(crate) struct Route<'a> {
    base: &'a Arc<PathAttrs>,
    /// The changes so far.
    pub changes: Changes,
    as_path: OnceCell<Option<AsPath>>,
    communities: OnceCell<Vec<Community>>,
    ext_communities: OnceCell<Vec<ExtendedCommunity>>,
    large_communities: OnceCell<Vec<LargeCommunity>>,
}

/// The list value of attribute `attr_type` of `base` (empty without it).
fn list_of<T>(
    base: &PathAttrs,
    attr_type: AttrType,
    unwrap: impl FnOnce(AttrValue) -> Option<Vec<T>>,
) -> Vec<T> {
    base.get(attr_type)
        .and_then(|a| unwrap(a.value))
        .unwrap_or_default()
}

impl<'a> Route<'a> {
    /// The route as received.
    pub fn new(base: &'a Arc<PathAttrs>) -> Route<'a> {
        Route {
            base,
            changes: Changes::default(),
            as_path: OnceCell::new(),
            communities: OnceCell::new(),
            ext_communities: OnceCell::new(),
            large_communities: OnceCell::new(),
        }
    }

    /// The attributes before any action.
    pub fn base(&self) -> &'a Arc<PathAttrs> {
        self.base
    }

    /// MULTI_EXIT_DISC.
    pub fn med(&self) -> Option<u32> {
        self.changes.med.or_else(|| self.base.med())
    }

    /// LOCAL_PREF.
    pub fn local_pref(&self) -> Option<u32> {
        self.changes.local_pref.or_else(|| self.base.local_pref())
    }

    /// ORIGIN.
    pub fn origin(&self) -> Option<Origin> {
        self.changes.origin.or_else(|| self.base.origin())
    }

    /// The next hop.
    pub fn next_hop(&self) -> Option<NextHop> {
        self.changes
            .next_hop
            .or_else(|| self.base.next_hop().copied())
    }

    /// AS_PATH length as gobgpd counts it (a set is one, confederation
    /// segments none).
    pub fn as_path_len(&self) -> usize {
        match &self.changes.as_path {
            None => self.base.as_path_len(),
            Some(path) => path.path_len(),
        }
    }

    /// AS_PATH.
    pub fn as_path(&self) -> Option<&AsPath> {
        match &self.changes.as_path {
            None => self.as_path.get_or_init(|| self.base.as_path()).as_ref(),
            Some(path) => Some(path),
        }
    }

    /// COMMUNITIES (empty without the attribute).
    pub fn communities(&self) -> &[Community] {
        match &self.changes.communities {
            Some(list) => list,
            None => self.communities.get_or_init(|| {
                list_of(self.base, AttrType::Communities, |v| match v {
                    AttrValue::Communities(list) => Some(list),
                    _ => None,
                })
            }),
        }
    }

    /// EXTENDED COMMUNITIES (empty without the attribute).
    pub fn ext_communities(&self) -> &[ExtendedCommunity] {
        match &self.changes.ext_communities {
            Some(list) => list,
            None => self.ext_communities.get_or_init(|| {
                list_of(self.base, AttrType::ExtendedCommunities, |v| match v {
                    AttrValue::ExtendedCommunities(list) => Some(list),
                    _ => None,
                })
            }),
        }
    }

    /// LARGE_COMMUNITY (empty without the attribute).
    pub fn large_communities(&self) -> &[LargeCommunity] {
        match &self.changes.large_communities {
            Some(list) => list,
            None => self.large_communities.get_or_init(|| {
                list_of(self.base, AttrType::LargeCommunities, |v| match v {
                    AttrValue::LargeCommunities(list) => Some(list),
                    _ => None,
                })
            }),
        }
    }
}
