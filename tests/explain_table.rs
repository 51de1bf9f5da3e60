//! The `explain` table as a person reads it: within 100 columns, users' names instead of
//! their ids, columns aligned with wide (CJK) names, and a closing summary.

mod common;

use common::*;
use unicode_width::UnicodeWidthStr;

#[test]
fn the_table_fits_100_columns_aligns_wide_names_and_sums_up() {
    let p = Project::new("");
    p.write(
        "users.csv",
        "user,name,email,lines,language,notify,time_zone\n\
         yamada,山田太郎,yamada@example.com,201,en,yes,\n\
         bert,Bert Meyer-Oberhausen-Schwarzenberg,bert@example.com,202,en,yes,\n\
         carl,Carl Weber,,203,en,yes,\n\
         dora,Dora Klein,dora@example.com,204,en,no,\n",
    );
    // one group call that rang all four, and two single calls
    let mut journal = String::from(HEADER);
    for (i, line) in ["201", "202", "203", "204"].iter().enumerate() {
        journal.push_str(&format!(
            "g{i},TG,2026-11-26 09:00:00,2026-11-26 09:00:30,,0,{line},030 5550100,{}\n",
            u8::from(i == 3)
        ));
    }
    journal.push_str(&row("s1", "10:00:00", "201", "030 5550101"));
    journal.push_str(&row("s2", "11:00:00", "202", ""));
    let j = p.write("journal.csv", &journal);
    let out = p.run(&[
        "explain",
        "--now",
        "2026-11-26T12:00:00Z",
        j.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for l in table.lines() {
        assert!(l.width() <= 100, "{} columns: {l}", l.width());
    }
    let lines: Vec<&str> = table.lines().collect();
    // names, not ids
    assert!(table.contains("山田太郎"), "{table}");
    assert!(!table.contains("yamada"), "{table}");
    assert!(table.contains("Carl Weber (no_address)"), "{table}");
    assert!(table.contains("Dora Klein (opted_out)"), "{table}");
    // every row's OUTCOME starts in the header's OUTCOME column, counted in terminal columns
    let col = |l: &str, word: &str| l.find(word).map(|b| l[..b].width());
    let outcome = col(lines[0], "OUTCOME").unwrap();
    let rows: Vec<&&str> = lines
        .iter()
        .filter(|l| l.len() > 8 && l.as_bytes()[2] == b':' && l.as_bytes()[5] == b':')
        .collect();
    assert_eq!(rows.len(), 3, "{table}");
    for r in &rows {
        assert_eq!(col(r, "missed"), Some(outcome), "{r}\n{table}");
    }
    assert!(
        rows[0].starts_with("09:00:00  +49305550100  山田太郎"),
        "{table}"
    );
    assert_eq!(lines[1], "2026-11-26");
    assert!(
        lines.contains(
            &"3 calls: 2 notify 3 recipient(s), 1 suppressed, 0 with every recipient skipped"
        ),
        "{table}"
    );
    assert!(lines.contains(&"suppressed: 1 hidden_number"), "{table}");
    assert!(
        lines.contains(&"not notified: 1 no_address, 1 opted_out"),
        "{table}"
    );
}
