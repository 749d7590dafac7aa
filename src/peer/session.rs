//! What the peer task does with an established session's traffic:
//! UPDATEs (RFC 7606 logging, AS4_PATH merge, prefix limit) and the rib's
//! exports.

use std::time::SystemTime;

use bytes::{BufMut, Bytes, BytesMut};
use tokio::io::AsyncWriteExt;
use tracing::warn;

use super::{as4, within, Peer};
use crate::fsm::Event;
use crate::rib::event::{DownReason, Export, Incoming};
use crate::wire::bgp::{AttrAction, CeaseSubcode, ErrorCode, Notification, Update};
use crate::wire::Family;

/// UPDATEs held for the rib at most: a read of 64 KiB may hold hundreds,
/// and the rib's bounded queue counts events, not UPDATEs.
const HELD_UPDATES: usize = 64;

impl Peer {
    /// Logs RFC 7606 errors, merges AS4_PATH for 2-octet peers (drops it
    /// on 4-octet sessions), counts
    /// prefixes against `prefix-limit` and hands the UPDATE to the rib.
    /// False when the prefix limit ended the session.
    pub(super) async fn on_update(
        &mut self,
        second: bool,
        mut update: Update,
        raw: Bytes,
        received_at: SystemTime,
    ) -> bool {
        if let Some(error) = update.errors.first() {
            let action = match update.treat_as_withdraw() {
                Some(_) => "the received Update message was treated as withdraw",
                None if error.action == AttrAction::AttributeDiscard => {
                    "the received Update message had attributes discarded"
                }
                None => "the received Update message had errors",
            };
            let errors: Vec<String> = update.errors.iter().map(ToString::to_string).collect();
            warn!(Topic = "Peer", Error = %errors.join("; "), State = "BGP_FSM_ESTABLISHED", "{action}");
        }
        let four_octet = self
            .slot(second)
            .is_some_and(|s| s.fsm.negotiated().four_octet_as);
        if four_octet {
            as4::discard_as4(&mut update);
        } else {
            as4::merge_as4(&mut update);
        }
        if let Some(exceeded) = self.count_prefixes(&update) {
            warn!(Topic = "Peer", family = %exceeded.0, limit = exceeded.1, "prefix limit reached");
            let notification = prefix_limit_notification(exceeded.0, exceeded.1);
            self.held.push(Incoming {
                update,
                raw,
                received_at,
                sets: Vec::new(),
            });
            self.hand_over().await;
            Box::pin(self.dispatch(second, Event::Stop(notification))).await;
            return false;
        }
        // The attribute sets are built here, beside the decoding, so the
        // rib task only interns them.
        let sets = crate::rib::import::prepare(&mut update);
        self.held.push(Incoming {
            update,
            raw,
            received_at,
            sets,
        });
        if self.held.len() >= HELD_UPDATES {
            self.hand_over().await;
        }
        true
    }

    /// Updates the per-family prefix sets; the family and limit exceeded,
    /// if any.
    fn count_prefixes(&mut self, update: &Update) -> Option<(Family, u32)> {
        // Only families with a limit are tracked: a full table costs a set
        // of a million prefixes otherwise.
        if self.families.iter().all(|f| f.prefix_limit.is_none()) {
            return None;
        }
        let withdraw_all = update.treat_as_withdraw().is_some();
        for (family, nlri) in update.withdrawals() {
            if let Some(set) = self.prefixes.get_mut(&family) {
                set.remove(nlri);
            }
        }
        let mut exceeded = None;
        for (family, nlri) in update.announced() {
            let limit = self
                .families
                .iter()
                .find(|f| f.name.family() == family)
                .and_then(|f| f.prefix_limit);
            let Some(limit) = limit else {
                continue;
            };
            let set = self.prefixes.entry(family).or_default();
            if withdraw_all {
                set.remove(nlri);
                continue;
            }
            set.insert(*nlri);
            if set.len() > limit.max_prefixes as usize && exceeded.is_none() {
                exceeded = Some((family, limit.max_prefixes));
            }
        }
        exceeded
    }

    /// Writes the rib's messages, then whatever else is queued, then
    /// flushes once.
    pub(super) async fn on_export(&mut self, export: Export) {
        let mut pending = vec![export];
        if let Some(rx) = self.exports.as_mut() {
            while let Ok(more) = rx.try_recv() {
                pending.push(more);
            }
        }
        // Each write may stall for the write timeout at most: a peer that
        // stops reading cannot hold the task (and its timers) forever.
        let limit = self.write_timeout(false);
        let Some(conn) = self.primary.conn.as_mut() else {
            return;
        };
        let mut outcome = Some(Ok(()));
        let mut written = false;
        'write: for export in pending {
            // Spent UPDATEs are freed here, on this task, when dropped.
            let Export::Messages(messages) = export else {
                continue;
            };
            for message in messages {
                self.stats.sent(&message);
                written = true;
                outcome = within(limit, conn.writer.write_all(&message)).await;
                if !matches!(outcome, Some(Ok(()))) {
                    break 'write;
                }
            }
        }
        if written && matches!(outcome, Some(Ok(()))) {
            outcome = within(limit, conn.writer.flush()).await;
        }
        match outcome {
            Some(Ok(())) => {}
            Some(Err(_)) => {
                self.primary.conn = None;
                self.dispatch(false, Event::ConnectionFailed).await;
            }
            None => self.close_stalled(false).await,
        }
    }
}

/// Cease 6/1 with the RFC 4486 §4 data: AFI (2), SAFI (1), upper bound (4).
pub fn prefix_limit_notification(family: Family, max_prefixes: u32) -> Notification {
    let mut data = BytesMut::with_capacity(7);
    data.put_u16(family.afi.into());
    data.put_u8(family.safi.into());
    data.put_u32(max_prefixes);
    Notification {
        code: ErrorCode::Cease(CeaseSubcode::MaximumPrefixesReached),
        data: data.freeze(),
    }
}

/// gobgpd's Peer Down reason text.
pub(super) fn describe(reason: &DownReason) -> String {
    let notification = |bytes: &Bytes| {
        bytes
            .get(19..21)
            .map(|c| format!("code {} subcode {}", c[0], c[1]))
            .unwrap_or_default()
    };
    match reason {
        DownReason::LocalNotification(b) => format!("notification-sent {}", notification(b)),
        DownReason::RemoteNotification(b) => format!("notification-received {}", notification(b)),
        DownReason::LocalNoNotification(event) => format!("fsm event {event}"),
        DownReason::RemoteClosed => "peer-closed".to_owned(),
        DownReason::Deconfigured => "dying".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_limit_notification_carries_afi_safi_and_bound() {
        let n = prefix_limit_notification(Family::IPV6_UNICAST, 100);
        assert_eq!((n.code.code(), n.code.subcode()), (6, 1));
        assert_eq!(&n.data[..], &[0, 2, 1, 0, 0, 0, 100]);
    }

    #[test]
    fn down_reason_text_names_the_notification() {
        let mut bytes = vec![0xff; 16];
        bytes.extend_from_slice(&[0, 21, 3, 6, 4]);
        assert_eq!(
            describe(&DownReason::LocalNotification(Bytes::from(bytes))),
            "notification-sent code 6 subcode 4"
        );
    }
}
