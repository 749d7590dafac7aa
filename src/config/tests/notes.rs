//! Keys parsed but not (fully) acted on: logged, never silent.

use super::*;

#[test]
fn bind_interface_is_listed_as_not_supported() {
    let c = ok(&neighbor(
        "[neighbors.transport.config]\nbind-interface = \"eth0\"\n",
    ));
    assert!(
        c.unsupported
            .iter()
            .any(|k| k == "neighbors[0].transport.config.bind-interface"),
        "{:?}",
        c.unsupported
    );
}

#[test]
fn only_long_lived_graceful_restart_warns() {
    // bgpd is a graceful restart helper: no warning for the capability.
    let c = ok(&neighbor(
        "[neighbors.graceful-restart.config]\nenabled = true\n",
    ));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // Long-lived graceful restart is advertised, not acted on.
    let c = ok(&neighbor(
        "[neighbors.graceful-restart.config]\nenabled = true\nlong-lived-enabled = true\n",
    ));
    assert!(
        c.warnings.iter().any(|w| w
            .starts_with("neighbors[0].graceful-restart.long-lived-enabled:")
            && w.contains("long-lived")),
        "{:?}",
        c.warnings
    );
    // Disabled (the default): no warning.
    let c = ok(&neighbor(""));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}
