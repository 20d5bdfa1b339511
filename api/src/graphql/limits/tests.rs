use async_graphql::{Name, Request, Value, Variables};
use proptest::prelude::*;

use super::*;

fn limits() -> QueryLimits {
    QueryLimits::default()
}

fn nested_list(depth: usize) -> String {
    format!("{{ company(x: {}1{}) {{ id }} }}", "[".repeat(depth), "]".repeat(depth))
}

fn nested_object(depth: usize) -> String {
    format!("{{ company(x: {}1{}) {{ id }} }}", "{a: ".repeat(depth), "}".repeat(depth))
}

#[test]
fn deep_list_and_object_literals_are_refused_with_where_they_go_too_deep() {
    let err = scan_document(&nested_list(2_000), &limits()).unwrap_err();
    assert_eq!(err.code(), "QUERY_TOO_DEEP");
    // `{` (column 1) and `(` (10) come first: the 63rd `[` is the 65th bracket, at column 76.
    assert_eq!(err, LimitError::NestedTooDeep { limit: 64, line: 1, column: 76 });
    assert_eq!(scan_document(&nested_object(3_000), &limits()).unwrap_err().code(), "QUERY_TOO_DEEP");
}

#[test]
fn the_deepest_admitted_document_parses_on_a_small_stack() {
    // 64 brackets deep: `{`, `(` and 62 `[`.
    let document = nested_list(62);
    scan_document(&document, &limits()).unwrap();
    let parsed = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || async_graphql::parser::parse_query(&document).is_ok())
        .unwrap()
        .join()
        .unwrap();
    assert!(parsed);
    assert!(scan_document(&nested_list(63), &limits()).is_err());
}

#[test]
fn brackets_in_strings_block_strings_and_comments_do_not_count() {
    let many = "[".repeat(500);
    let document =
        format!("# {many}\n{{ company(a: \"{many}\", b: \"\"\"{many} \\\"\"\" {many}\"\"\", c: \"esc \\\" {many}\") {{ id }} }}");
    scan_document(&document, &limits()).unwrap();
}

#[test]
fn size_and_token_limits() {
    let small = QueryLimits { max_document_bytes: 10, ..limits() };
    assert_eq!(scan_document("{ viewer { subject } }", &small).unwrap_err(), LimitError::DocumentTooLarge { found: 22, limit: 10 });
    let few = QueryLimits { max_tokens: 6, ..limits() };
    assert!(scan_document("{ viewer { role } }", &few).is_ok());
    assert_eq!(scan_document("{ viewer { role subject } }", &few).unwrap_err(), LimitError::TooManyTokens { limit: 6 });
    assert_eq!(scan_document("{ viewer { role subject } }", &few).unwrap_err().code(), "QUERY_TOO_LARGE");
}

#[test]
fn variables_nesting_is_bounded() {
    let mut value = Value::Number(1.into());
    for _ in 0..40 {
        value = Value::List(vec![value]);
    }
    let mut vars = Variables::default();
    vars.insert(Name::new("deep"), value);
    let request = Request::new("query($deep: [Int]) { viewer { role } }").variables(vars);
    assert_eq!(limits().admit(&request).unwrap_err(), LimitError::VariablesTooDeep { limit: 32, variable: "deep".into() });
}

#[test]
fn a_list_field_costs_its_page_size_times_its_children() {
    assert_eq!(page_cost(Some(100), 50, 3), 301);
    assert_eq!(page_cost(None, 50, 3), 151);
    assert_eq!(page_cost(Some(0), 50, 3), 4);
    assert_eq!(page_cost(Some(i32::MAX), 50, usize::MAX), usize::MAX);
}

const SEED: &str = r#"query Page($after: String) {
  employees(first: 50, after: $after, filter: {status: [ACTIVE, PENDING], search: "a\"b"}) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id email ...Names companyGroup { name } } }
  }
}
fragment Names on Employee { first: firstName lastName """block "" string""" }
# a comment with [ { (
"#;

/// A document made from a real one by the edits a hostile client makes: runs of
/// brackets, cuts, repeats and random bytes.
fn mutated_document() -> impl Strategy<Value = String> {
    let edit = prop_oneof![
        (
            any::<prop::sample::Index>(),
            prop::sample::select(vec!["[", "{", "(", "{a: ", "\"", "\"\"\"", "#", "\\", "...", "]"]),
            1usize..3_000
        )
            .prop_map(|(at, piece, n)| (at, piece.repeat(n))),
        (any::<prop::sample::Index>(), "\\PC{0,40}").prop_map(|(at, s)| (at, s)),
    ];
    prop::collection::vec((edit, any::<bool>(), 0usize..64), 1..6).prop_map(|edits| {
        let mut document = SEED.to_string();
        for ((at, insert), cut, cut_len) in edits {
            let at = at.index(document.len() + 1);
            let at = (0..=at).rev().find(|i| document.is_char_boundary(*i)).unwrap_or(0);
            if cut {
                let end = (at + cut_len).min(document.len());
                let end = (end..=document.len()).find(|i| document.is_char_boundary(*i)).unwrap_or(document.len());
                document.replace_range(at..end, "");
            } else {
                document.insert_str(at, &insert);
            }
        }
        document
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::fuzz_cases(256), ..ProptestConfig::default() })]

    /// What the scan lets through, the recursive parser handles on a worker-sized
    /// stack (2 MiB, in a debug build); the scan itself never panics.
    #[test]
    fn fuzz_document_guard(document in mutated_document()) {
        if scan_document(&document, &limits()).is_ok() {
            let outcome = std::thread::Builder::new()
                .stack_size(2 * 1024 * 1024)
                .spawn(move || { let _ = async_graphql::parser::parse_query(&document); })
                .unwrap()
                .join();
            prop_assert!(outcome.is_ok());
        }
    }
}

/// The parser's count of aliased fields, in operations and fragments.
fn parsed_aliases(document: &str) -> usize {
    use async_graphql::parser::types::{Selection, SelectionSet};
    let document = async_graphql::parser::parse_query(document).unwrap();
    let mut stack: Vec<&SelectionSet> = document.operations.iter().map(|(_, op)| &op.node.selection_set.node).collect();
    stack.extend(document.fragments.values().map(|f| &f.node.selection_set.node));
    let mut found = 0;
    while let Some(set) = stack.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    found += usize::from(field.node.alias.is_some());
                    stack.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => stack.push(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    found
}

#[test]
fn aliases_are_counted_from_the_text_as_the_parser_counts_them() {
    let document = r#"query Q($a: Int = 3, $f: EmployeeFilter = {status: [ACTIVE], search: "x: y"}) {
        one: employees(first: $a, filter: {search: "a:b"}) @include(if: true) { edges { node { id mail: email } } }
        # a comment: with a colon
        ... on Query { two: viewer { role } }
        ...F
    }
    fragment F on Query { three: company { id } viewer { role } }"#;
    assert_eq!((parsed_aliases(document), scan_aliases(document)), (4, 4));
    let few = QueryLimits { max_aliases: 3, ..limits() };
    assert_eq!(scan_document(document, &few).unwrap_err(), LimitError::TooManyAliases { found: 4, limit: 3 });
    assert_eq!(scan_document(document, &few).unwrap_err().code(), "QUERY_TOO_COMPLEX");
}

/// How many aliases the scan finds: the limit it is refused at, less one.
fn scan_aliases(document: &str) -> usize {
    let none = QueryLimits { max_aliases: 0, ..limits() };
    match scan_document(document, &none) {
        Err(LimitError::TooManyAliases { found, .. }) => found,
        Ok(()) => 0,
        Err(other) => panic!("{other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::fuzz_cases(256), ..ProptestConfig::default() })]

    #[test]
    fn the_scan_counts_aliases_as_the_parser_does(fields in proptest::collection::vec((any::<bool>(), 0usize..4, any::<bool>()), 1..12)) {
        let selections: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, (aliased, args, nested))| {
                let alias = if *aliased { format!("a{i}: ") } else { String::new() };
                let arguments = match args {
                    0 => String::new(),
                    1 => "(first: 3)".into(),
                    2 => "(filter: {search: \"x:y\", status: [ACTIVE]})".into(),
                    _ => "(after: \"c:1\", first: 2) @skip(if: false)".into(),
                };
                let inner = if *nested { format!("{{ edges {{ n{i}: node {{ id }} }} }}") } else { "{ totalCount }".into() };
                format!("{alias}employees{arguments} {inner}")
            })
            .collect();
        let document = format!("query($x: Int = 1) {{ {} }}", selections.join(" "));
        prop_assert_eq!(scan_aliases(&document), parsed_aliases(&document));
    }
}
