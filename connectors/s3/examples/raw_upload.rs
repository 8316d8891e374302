//! Raw upload rate of the S3 client this connector uses, for comparison with the sink's throughput: uploads
//! `MB` megabytes of 200-byte JSON lines as objects of `FILE_MB` in `PART_MB` multipart parts, one at a time.
//!
//! `cargo run --release -p connect-s3 --example raw_upload -- http://127.0.0.1:9000 BUCKET [MB] [FILE_MB] [PART_MB]`
//! (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; the bucket must exist).

use std::time::Instant;

use connect_api::Config;
use connect_s3::config::S3SinkConfig;
use connect_s3::storage::Storage;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(bucket)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: raw_upload URL BUCKET [MB] [FILE_MB] [PART_MB]");
        std::process::exit(2);
    };
    let num = |i: usize, d: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (total_mb, file_mb, part_mb) = (num(3, 100), num(4, 10), num(5, 5));
    let props: Config = [
        ("s3.bucket.name", bucket.as_str()),
        ("store.url", url.as_str()),
        ("s3.region", "us-east-1"),
        ("flush.size", "1"),
        (
            "format.class",
            "io.confluent.connect.s3.format.json.JsonFormat",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = S3SinkConfig::parse(&props).expect("config");
    let storage = Storage::new(&config).expect("client");
    let line = format!("{{\"id\":00000000,\"pad\":\"{}\"}}\n", "p".repeat(175));
    assert_eq!(line.len(), 200);
    let part: Vec<u8> = line.as_bytes().repeat(part_mb * 1_048_576 / 200 + 1);
    let parts_per_file = (file_mb / part_mb).max(1);
    let files = (total_mb / file_mb).max(1);
    let started = Instant::now();
    let mut bytes = 0usize;
    for f in 0..files {
        let key = format!("raw/{f:06}.json");
        let id = storage.create_multipart(&key).expect("create");
        let mut etags = Vec::new();
        for p in 0..parts_per_file {
            let etag = storage
                .start_part(&key, &id, p as i32 + 1, bytes::Bytes::from(part.clone()))
                .wait()
                .expect("part");
            etags.push(etag);
            bytes += part.len();
        }
        storage
            .complete_multipart(&key, &id, &etags)
            .expect("complete");
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "raw aws-sdk-s3 multipart upload: {:.1} MB in {secs:.2} s = {:.1} MB/s ({:.0} 200-byte records/s)",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs,
        bytes as f64 / 200.0 / secs
    );
}
