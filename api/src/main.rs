//! The `roster` binary: parse the command line and hand over to `cli`.

fn main() -> std::process::ExitCode {
    roster_api::cli::main()
}
