//! Generates the gRPC echo service for `rpc-grpc` with tonic-build, using the protoc binary
//! that protoc-bin-vendored ships, so that no system protoc is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?);
    println!("cargo:rerun-if-changed=proto/echo.proto");
    tonic_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_protos(&["proto/echo.proto"], &["proto"])?;
    Ok(())
}
