//! Fuzzing the sheet readers on stable Rust: real fixtures, mutated the ways a
//! broken or hostile upload is (cut short, bits flipped, zip entries and their
//! XML tampered with, absurd dimensions, huge shared-string tables, deeply
//! nested XML, invalid UTF-8 and UTF-16 text). Each case must end, within a
//! deadline, in rows or a `SheetError`: no panic, no hang. Memory stays within
//! the limits, which the default `Limits` bound (expanded size, rows, columns).
//! `PROPTEST_CASES` runs more cases (see the README).

use std::io::{Cursor, Read, Write};
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Counts what the reader delivers; keeps nothing.
#[derive(Default)]
struct Count {
    rows: usize,
}

impl RowSink for Count {
    fn header(&mut self, _sheet: &str, _headers: Vec<String>) -> Result<(), SheetError> {
        Ok(())
    }
    fn row(&mut self, _row_number: u32, _cells: Vec<Cell>) -> Result<(), SheetError> {
        self.rows += 1;
        Ok(())
    }
}

/// Detects and reads `bytes` on a thread of its own; fails on a panic or when
/// it does not end within the deadline.
fn read_within_deadline(name: &'static str, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let limits = Limits { max_rows: 100_000, ..Limits::default() };
        let outcome = std::panic::catch_unwind(|| {
            let format = detect(name, &bytes, &limits)?;
            read_sheet(&bytes, format, None, &limits, &mut Count::default())
        });
        let _ = done.send(outcome.is_ok());
    });
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(true) => Ok(()),
        Ok(false) => Err(TestCaseError::fail(format!("reading a mutated {name} panicked"))),
        Err(_) => Err(TestCaseError::fail(format!("reading a mutated {name} did not end within 60 s"))),
    }
}

/// The entries of a zip archive, in order.
fn entries(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(archive)).expect("a fixture archive");
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).expect("an entry");
            let mut content = Vec::new();
            entry.read_to_end(&mut content).expect("an entry's content");
            (entry.name().expect("an entry name").to_string(), content)
        })
        .collect()
}

fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, content) in entries {
        writer.start_file(name.as_str(), options).expect("start an entry");
        writer.write_all(content).expect("write an entry");
    }
    writer.finish().expect("finish the archive").into_inner()
}

/// Byte-level damage: a cut, flipped bits, an overwritten run.
#[derive(Debug, Clone)]
enum Damage {
    Truncate(prop::sample::Index),
    FlipBits(Vec<(prop::sample::Index, u8)>),
    Overwrite(prop::sample::Index, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Damage::Truncate),
        prop::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..16).prop_map(Damage::FlipBits),
        (any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 1..64)).prop_map(|(at, b)| Damage::Overwrite(at, b)),
    ]
}

fn apply(damage: &Damage, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        return;
    }
    match damage {
        Damage::Truncate(at) => bytes.truncate(at.index(bytes.len())),
        Damage::FlipBits(flips) => {
            for (at, bit) in flips {
                let at = at.index(bytes.len());
                bytes[at] ^= 1 << bit;
            }
        }
        Damage::Overwrite(at, run) => {
            let at = at.index(bytes.len());
            for (i, b) in run.iter().enumerate() {
                if let Some(slot) = bytes.get_mut(at + i) {
                    *slot = *b;
                }
            }
        }
    }
}

/// What a hostile workbook's XML holds.
#[derive(Debug, Clone)]
enum Tamper {
    /// Elements nested this deep around the sheet data.
    DeepNesting(usize),
    /// The sheet claims every cell of the grid.
    AbsurdDimension,
    /// A cell placed at the last row and column a workbook can have, or beyond.
    FarCell(u32, u32),
    /// A shared-string table of this many entries, with counts that lie.
    HugeSharedStrings(usize),
    /// Damage inside one entry's text (then rezipped, so the archive is sound).
    DamagedEntry(prop::sample::Index, Damage),
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        (1usize..200_000).prop_map(Tamper::DeepNesting),
        Just(Tamper::AbsurdDimension),
        (prop_oneof![Just(1_048_576u32), Just(u32::MAX), 1u32..2_000_000], prop_oneof![Just(16_384u32), Just(u32::MAX / 2), 1u32..20_000])
            .prop_map(|(row, col)| Tamper::FarCell(row, col)),
        (1usize..300_000).prop_map(Tamper::HugeSharedStrings),
        (any::<prop::sample::Index>(), damage()).prop_map(|(entry, d)| Tamper::DamagedEntry(entry, d)),
    ]
}

fn column_name(mut col: u32) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

fn tampered_xlsx(tamper: &Tamper) -> Vec<u8> {
    let mut entries = entries(&fixture("employees.xlsx"));
    let find = |entries: &[(String, Vec<u8>)], suffix: &str| entries.iter().position(|(n, _)| n.ends_with(suffix));
    let sheet = find(&entries, "worksheets/sheet1.xml").expect("a first sheet");
    let replace = |content: &mut Vec<u8>, from: &str, to: &str| {
        let text = String::from_utf8_lossy(content).replacen(from, to, 1);
        *content = text.into_bytes();
    };
    match tamper {
        Tamper::DeepNesting(depth) => {
            let open = "<x>".repeat(*depth);
            let close = "</x>".repeat(*depth);
            replace(&mut entries[sheet].1, "<sheetData>", &format!("<sheetData>{open}"));
            replace(&mut entries[sheet].1, "</sheetData>", &format!("{close}</sheetData>"));
        }
        Tamper::AbsurdDimension => {
            let text = String::from_utf8_lossy(&entries[sheet].1).to_string();
            let text = match text.find("<dimension ref=\"") {
                Some(start) => {
                    let end = text[start..].find("/>").map(|e| start + e + 2).unwrap_or(start);
                    format!("{}<dimension ref=\"A1:XFD1048576\"/>{}", &text[..start], &text[end..])
                }
                None => text.replacen("<sheetData>", "<dimension ref=\"A1:XFD1048576\"/><sheetData>", 1),
            };
            entries[sheet].1 = text.into_bytes();
        }
        Tamper::FarCell(row, col) => {
            let cell = format!("<row r=\"{row}\"><c r=\"{}{row}\" t=\"inlineStr\"><is><t>far</t></is></c></row>", column_name(*col));
            replace(&mut entries[sheet].1, "</sheetData>", &format!("{cell}</sheetData>"));
        }
        Tamper::HugeSharedStrings(count) => {
            let table = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"4294967295\" uniqueCount=\"4294967295\">{}</sst>",
                "<si><t>shared string</t></si>".repeat(*count)
            );
            match find(&entries, "sharedStrings.xml") {
                Some(i) => entries[i].1 = table.into_bytes(),
                None => entries.push(("xl/sharedStrings.xml".into(), table.into_bytes())),
            }
        }
        Tamper::DamagedEntry(entry, damage) => {
            let i = entry.index(entries.len());
            apply(damage, &mut entries[i].1);
        }
    }
    rezip(&entries)
}

/// CSV text as it arrives broken: invalid UTF-8, UTF-16 with or without its
/// byte-order mark, stray quotes and NULs, absurdly long lines.
fn mutated_csv() -> impl Strategy<Value = Vec<u8>> {
    let text = String::from_utf8(fixture("employees-nl-bom.csv")).expect("the CSV fixture is UTF-8");
    prop_oneof![
        (any::<prop::sample::Index>(), prop::collection::vec(prop_oneof![Just(0xffu8), Just(0xc3), Just(0x80), Just(0), Just(b'"')], 1..8))
            .prop_map({
                let text = text.clone();
                move |(at, junk)| {
                    let mut bytes = text.clone().into_bytes();
                    let at = at.index(bytes.len());
                    bytes.splice(at..at, junk);
                    bytes
                }
            }),
        any::<(bool, bool)>().prop_map({
            let text = text.clone();
            move |(bom, big_endian)| {
                let units = text.trim_start_matches('\u{feff}').encode_utf16();
                let mut bytes: Vec<u8> = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
                bytes.extend(units.flat_map(if big_endian { u16::to_be_bytes } else { u16::to_le_bytes }));
                bytes
            }
        }),
        (1usize..3_000_000).prop_map(|n| format!("Email;First name\n{}\n", "x".repeat(n)).into_bytes()),
        prop::collection::vec(any::<u8>(), 0..4096),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::fuzz_cases(24), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_damaged_fixtures_of_every_format(which in 0usize..5, damage in damage()) {
        let (name, file): (&'static str, &str) =
            [("staff.xlsx", "employees.xlsx"), ("staff.ods", "employees.ods"), ("staff.xls", "employees.xls"),
             ("staff.csv", "employees-nl-bom.csv"), ("staff.xlsx", "truncated.xlsx")][which];
        let mut bytes = fixture(file);
        apply(&damage, &mut bytes);
        read_within_deadline(name, bytes)?;
    }

    #[test]
    fn fuzz_tampered_workbook_xml(tamper in tamper()) {
        read_within_deadline("staff.xlsx", tampered_xlsx(&tamper))?;
    }

    #[test]
    fn fuzz_broken_csv_text(bytes in mutated_csv()) {
        read_within_deadline("staff.csv", bytes)?;
    }
}

#[test]
fn the_zip_bomb_fixture_is_refused_before_it_expands() {
    let err = detect("staff.xlsx", &fixture("zip-bomb.xlsx"), &Limits::default()).unwrap_err();
    assert!(matches!(err, SheetError::ZipBomb { .. }), "{err}");
}
