//! ListPolicy, ListStatement, ListDefinedSet and ListPolicyAssignment over
//! a real socket, answered from the running configuration (and from the
//! reloaded one after a reload).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use bgpd::api::proto::{self, gobgp_api_client::GobgpApiClient};
use bgpd::api::Listen;
use bgpd::daemon::Options;
use common::*;
use proto::{DefinedType, PolicyDirection, RouteAction};
use tonic::transport::Channel;
use tonic::Code;

const ROUTER_ID: &str = "127.0.0.1";

const POLICIES: &str = r#"
[global.apply-policy.config]
  import-policy-list = ["zeta", "alpha"]
  default-import-policy = "reject-route"
[[defined-sets.prefix-sets]]
  prefix-set-name = "ps2"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "10.0.0.0/8"
    masklength-range = "16..24"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "192.168.0.0/16"
[[defined-sets.prefix-sets]]
  prefix-set-name = "ps1"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "2001:db8::/32"
[[defined-sets.neighbor-sets]]
  neighbor-set-name = "ns"
  neighbor-info-list = ["192.0.2.2", "10.0.0.0/24"]
[[defined-sets.bgp-defined-sets.community-sets]]
  community-set-name = "cs"
  community-list = ["65000:100", "no-export", "^65001:.*$"]
[[defined-sets.bgp-defined-sets.as-path-sets]]
  as-path-set-name = "asp"
  as-path-list = ["^65001 65002$", "_65003_"]
[[policy-definitions]]
  name = "zeta"
  [[policy-definitions.statements]]
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "ps2"
      match-set-options = "invert"
    [policy-definitions.statements.conditions.bgp-conditions.as-path-length]
      operator = "ge"
      value = 3
    [policy-definitions.statements.actions]
      route-disposition = "reject-route"
[[policy-definitions]]
  name = "alpha"
  [[policy-definitions.statements]]
    name = "med"
    [policy-definitions.statements.conditions.bgp-conditions]
      rpki-validation-result = "valid"
    [policy-definitions.statements.actions.bgp-actions]
      set-med = "-5"
      set-next-hop = "self"
      [policy-definitions.statements.actions.bgp-actions.set-as-path-prepend]
        as = "last-as"
        repeat-n = 2
[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.7"
    peer-as = 65007
  [neighbors.route-server.config]
    route-server-client = true
  [neighbors.apply-policy.config]
    export-policy-list = ["alpha"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.8"
    peer-as = 65008
"#;

async fn client(api: SocketAddr) -> GobgpApiClient<Channel> {
    for _ in 0..200 {
        if let Ok(client) = GobgpApiClient::connect(format!("http://{api}")).await {
            return client;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the API never listened on {api}");
}

async fn sets(
    client: &mut GobgpApiClient<Channel>,
    kind: DefinedType,
    name: &str,
) -> Vec<proto::DefinedSet> {
    let request = proto::ListDefinedSetRequest {
        defined_type: kind as i32,
        name: name.into(),
    };
    let mut stream = client
        .list_defined_set(request)
        .await
        .expect("list defined sets")
        .into_inner();
    let mut out = Vec::new();
    while let Some(r) = stream.message().await.expect("stream") {
        out.extend(r.defined_set);
    }
    out
}

async fn policies(client: &mut GobgpApiClient<Channel>, name: &str) -> Vec<proto::Policy> {
    let request = proto::ListPolicyRequest { name: name.into() };
    let mut stream = client
        .list_policy(request)
        .await
        .expect("list policies")
        .into_inner();
    let mut out = Vec::new();
    while let Some(r) = stream.message().await.expect("stream") {
        out.extend(r.policy);
    }
    out
}

async fn assignments(
    client: &mut GobgpApiClient<Channel>,
    name: &str,
    direction: PolicyDirection,
) -> Result<Vec<proto::PolicyAssignment>, tonic::Status> {
    let request = proto::ListPolicyAssignmentRequest {
        name: name.into(),
        direction: direction as i32,
    };
    let mut stream = client.list_policy_assignment(request).await?.into_inner();
    let mut out = Vec::new();
    while let Some(r) = stream.message().await? {
        out.extend(r.assignment);
    }
    Ok(out)
}

#[tokio::test]
async fn defined_sets_are_listed_by_name_as_gobgpd_lists_them() {
    let port = free_port(ROUTER_ID).await;
    let api = SocketAddr::new(ROUTER_ID.parse().expect("ip"), free_port(ROUTER_ID).await);
    let config = daemon_config(65001, ROUTER_ID, &[ROUTER_ID], port, POLICIES);
    let options = Options {
        api: vec![Listen::Tcp(api)],
        ..Options::default()
    };
    let running = start_with(config, options);
    let mut client = client(api).await;

    let prefixes = sets(&mut client, DefinedType::Prefix, "").await;
    let names: Vec<&str> = prefixes.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["ps1", "ps2"]);
    let ranges: Vec<(String, u32, u32)> = prefixes[1]
        .prefixes
        .iter()
        .map(|p| (p.ip_prefix.clone(), p.mask_length_min, p.mask_length_max))
        .collect();
    assert_eq!(
        ranges,
        [
            ("10.0.0.0/8".to_owned(), 16, 24),
            ("192.168.0.0/16".to_owned(), 16, 16)
        ]
    );
    let neighbors = sets(&mut client, DefinedType::Neighbor, "ns").await;
    assert_eq!(neighbors[0].list, ["192.0.2.2/32", "10.0.0.0/24"]);
    let communities = sets(&mut client, DefinedType::Community, "").await;
    assert_eq!(
        communities[0].list,
        ["^65000:100$", "^65535:65281$", "^65001:.*$"]
    );
    let as_paths = sets(&mut client, DefinedType::AsPath, "").await;
    assert_eq!(as_paths[0].list, ["_65003_", "^65001 65002$"]);
    assert!(sets(&mut client, DefinedType::Prefix, "nope")
        .await
        .is_empty());
    assert!(sets(&mut client, DefinedType::LargeCommunity, "")
        .await
        .is_empty());
    let bad = client
        .list_defined_set(proto::ListDefinedSetRequest {
            defined_type: 99,
            name: String::new(),
        })
        .await
        .expect_err("unknown type");
    assert_eq!(bad.code(), Code::InvalidArgument);
    stop(running).await;
}

#[tokio::test]
async fn policies_and_assignments_follow_the_running_configuration() {
    let port = free_port(ROUTER_ID).await;
    let api = SocketAddr::new(ROUTER_ID.parse().expect("ip"), free_port(ROUTER_ID).await);
    let config = daemon_config(65001, ROUTER_ID, &[ROUTER_ID], port, POLICIES);
    let options = Options {
        api: vec![Listen::Tcp(api)],
        ..Options::default()
    };
    let running = start_with(config, options);
    let mut client = client(api).await;

    let all = policies(&mut client, "").await;
    let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["alpha", "zeta"]);
    let zeta = &all[1].statements[0];
    assert_eq!(zeta.name, "zeta_stmt0");
    let conditions = zeta.conditions.as_ref().expect("conditions");
    let prefix_set = conditions.prefix_set.as_ref().expect("prefix set");
    assert_eq!(prefix_set.name, "ps2");
    assert_eq!(prefix_set.r#type, proto::match_set::Type::Invert as i32);
    assert_eq!(conditions.rpki_result, -1);
    let length = conditions.as_path_length.as_ref().expect("length");
    assert_eq!((length.r#type, length.length), (1, 3));
    let actions = zeta.actions.as_ref().expect("actions");
    assert_eq!(actions.route_action, RouteAction::Reject as i32);

    let med = &all[0].statements[0];
    assert_eq!(med.conditions.as_ref().expect("conditions").rpki_result, 2);
    let actions = med.actions.as_ref().expect("actions");
    assert_eq!(actions.med.as_ref().map(|m| m.value), Some(-5));
    assert!(actions.nexthop.as_ref().is_some_and(|n| n.self_));
    let prepend = actions.as_prepend.as_ref().expect("prepend");
    assert!(prepend.use_left_most && prepend.repeat == 2);
    assert_eq!(policies(&mut client, "alpha").await.len(), 1);
    assert!(policies(&mut client, "nope").await.is_empty());

    let global = assignments(&mut client, "global", PolicyDirection::Unknown)
        .await
        .expect("global");
    assert_eq!(global.len(), 2);
    let import: Vec<&str> = global[0].policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(import, ["zeta", "alpha"]);
    assert_eq!(global[0].default_action, RouteAction::Reject as i32);
    assert!(global[1].policies.is_empty());
    assert_eq!(global[1].default_action, RouteAction::Accept as i32);

    let rs = assignments(&mut client, "127.0.0.7", PolicyDirection::Export)
        .await
        .expect("route-server client");
    assert_eq!(rs[0].policies[0].name, "alpha");
    let code = |r: Result<_, tonic::Status>| r.expect_err("refused").code();
    let not_rs = assignments(&mut client, "127.0.0.8", PolicyDirection::Import).await;
    assert_eq!(code(not_rs), Code::FailedPrecondition);
    let unknown = assignments(&mut client, "127.0.0.9", PolicyDirection::Import).await;
    assert_eq!(code(unknown), Code::NotFound);
    let garbage = assignments(&mut client, "nobody", PolicyDirection::Import).await;
    assert_eq!(code(garbage), Code::InvalidArgument);

    // A reload replaces what is listed.
    let reloaded = POLICIES
        .replace("name = \"alpha\"", "name = \"beta\"")
        .replace("[\"zeta\", \"alpha\"]", "[\"beta\"]")
        .replace(
            "export-policy-list = [\"alpha\"]",
            "export-policy-list = [\"beta\"]",
        );
    let config = daemon_config(65001, ROUTER_ID, &[ROUTER_ID], port, &reloaded);
    running.reload.send(config).await.expect("reload");
    let mut names = Vec::new();
    for _ in 0..200 {
        names = policies(&mut client, "")
            .await
            .into_iter()
            .map(|p| p.name)
            .collect();
        if names.first().is_some_and(|n| n == "beta") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(names, ["beta", "zeta"]);
    let statements = client
        .list_statement(proto::ListStatementRequest { name: "med".into() })
        .await
        .expect("statements")
        .into_inner()
        .message()
        .await
        .expect("stream")
        .and_then(|r| r.statement);
    assert!(statements.is_some_and(|s| s.name == "med"));
    stop(running).await;
}
