//! Generates the gRPC API (`src/api/`) from `proto/` with protox, a
//! protobuf compiler written in Rust, so the build needs nothing but cargo
//! (no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let files = protox::compile(
        ["gobgp.proto", "attribute.proto", "capability.proto"],
        ["proto"],
    )?;
    let mut config = prost_build::Config::new();
    // `prost::Name` on every message, with GoBGP's type URLs, for Any.
    config.enable_type_names();
    config.type_name_domain(["."], "type.googleapis.com");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .generate_default_stubs(true)
        .compile_fds_with_config(files, config)?;
    Ok(())
}
