//! ADD-PATH send-max through the real rib task: the best paths of a
//! prefix by rank, path ids 1, 2, ..., and the changes as ranks move.

use super::*;

/// A third neighbor, with ADD-PATH send-max 2, beside A and B.
const THIRD: &str = r#"
[[neighbors]]
[neighbors.config]
neighbor-address = "192.0.2.4"
peer-as = 65004
[neighbors.add-paths.config]
send-max = 2
"#;

/// The receiving session with ADD-PATH send negotiated for IPv4.
fn add_path_cx() -> Negotiated {
    let mut cx = cx();
    cx.add_path_send.insert(Family::IPV4_UNICAST);
    cx
}

async fn up_with(
    events: &mpsc::Sender<PeerEvent>,
    config: &config::Config,
    n: u8,
    negotiated: Negotiated,
) -> Fake {
    let mut info = (*session(config, n)).clone();
    info.negotiated = negotiated;
    let (tx, rx) = mpsc::unbounded_channel();
    let peer = info.peer;
    send_event(
        events,
        PeerEvent::Up {
            info: Arc::new(info),
            exports: tx,
        },
    )
    .await;
    Fake { peer, rx }
}

/// The next export decoded with ADD-PATH: (path id, prefix, first AS of
/// the path after ours) announced, and path ids withdrawn.
async fn next_paths(fake: &mut Fake) -> (Vec<(u32, IpNet, u32)>, Vec<(u32, IpNet)>) {
    let messages = next_messages(fake).await;
    let mut announced = Vec::new();
    let mut withdrawn = Vec::new();
    for message in messages {
        let Ok(Message::Update(update)) = Message::decode(message, &{
            let mut cx = add_path_cx();
            cx.add_path_receive = cx.add_path_send.clone();
            cx
        }) else {
            panic!("not an UPDATE");
        };
        let neighbor_as = match update.attribute(bgp::AttrType::AsPath).map(|a| &a.value) {
            Some(AttrValue::AsPath(path)) => path.segments[0].asns[1],
            _ => 0,
        };
        for nlri in &update.nlri {
            announced.push((nlri.path_id.expect("path id"), nlri.prefix, neighbor_as));
        }
        for nlri in &update.withdrawn {
            withdrawn.push((nlri.path_id.expect("path id"), nlri.prefix));
        }
    }
    announced.sort();
    withdrawn.sort();
    (announced, withdrawn)
}

#[tokio::test]
async fn send_max_two_sends_the_two_best_paths_by_rank() {
    let config = config::parse(&format!("{CONFIG}{THIRD}"), "test.toml").expect("parses");
    let crate::rib::RibHandle { events, task, .. } =
        crate::rib::spawn(Arc::new(config.global.clone()));
    let mut a = up(&events, &config, 2).await;
    let mut b = up(&events, &config, 3).await;
    let mut c = up_with(&events, &config, 4, add_path_cx()).await;
    next_updates(&mut a).await;
    next_updates(&mut b).await;
    next_paths(&mut c).await; // End-of-RIB
    let prefix = other_prefix();

    // B's path is longer: it ranks second.
    send_update(
        &events,
        &b,
        announcement(vec![prefix], 65003, Ipv4Addr::new(192, 0, 2, 3)),
    )
    .await;
    let (announced, _) = next_paths(&mut c).await;
    assert_eq!(announced, vec![(1, prefix.prefix, 65003)]);
    let mut longer = announcement(vec![prefix], 65003, Ipv4Addr::new(192, 0, 2, 3));
    longer.attributes[1] =
        PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![65003, 65010])));
    send_update(&events, &b, longer).await;
    next_paths(&mut c).await;
    send_update(&events, &a, from_a(vec![prefix])).await;
    let (announced, withdrawn) = next_paths(&mut c).await;
    // A's shorter path takes rank 1, B's moves to rank 2.
    assert_eq!(
        announced,
        vec![(1, prefix.prefix, 65002), (2, prefix.prefix, 65003)]
    );
    assert!(withdrawn.is_empty());

    // A withdraws: B's path is rank 1 again and id 2 goes.
    send_update(
        &events,
        &a,
        Update {
            withdrawn: vec![prefix],
            ..Update::default()
        },
    )
    .await;
    let (announced, withdrawn) = next_paths(&mut c).await;
    assert_eq!(announced, vec![(1, prefix.prefix, 65003)]);
    assert_eq!(withdrawn, vec![(2, prefix.prefix)]);

    drop(c);
    finish(events, task).await;
}
