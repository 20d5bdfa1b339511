//! `cargo run -p roster-tests --bin fake-personio -- --data DIR --port 9099`:
//! the fake Personio on its own, to try the HR sync by hand.

use std::path::PathBuf;

use clap::Parser;
use roster_tests::fake_personio::FakePersonio;

#[derive(Parser)]
#[command(about = "A fake Personio API v1 on 127.0.0.1")]
struct Args {
    /// A directory with the Personio fixtures (../shared/data/personio).
    #[arg(long, conflicts_with = "generate")]
    data: Option<PathBuf>,
    /// Serve a generated tenant of this many employees instead.
    #[arg(long)]
    generate: Option<usize>,
    #[arg(long, default_value_t = 9099)]
    port: u16,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let state = match (&args.data, args.generate) {
        (_, Some(n)) => FakePersonio::generated(n),
        (Some(dir), None) => FakePersonio::fixtures(dir),
        (None, None) => FakePersonio::fixtures(&PathBuf::from("../shared/data/personio")),
    };
    let fake = FakePersonio::start(state, args.port).await;
    println!("fake Personio on {} (client id {}, client secret {})", fake.url, FakePersonio::CLIENT_ID, FakePersonio::CLIENT_SECRET);
    tokio::signal::ctrl_c().await.ok();
}
