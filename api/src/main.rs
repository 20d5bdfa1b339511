//! The `roster` binary: parse the command line and hand over to `cli`.

/// Imports allocate and free many short-lived rows; mimalloc keeps that cheap
/// where the system allocator spends a third of a dry run consolidating.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    roster_api::cli::main()
}
