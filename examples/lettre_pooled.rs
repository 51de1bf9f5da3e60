//! Benchmark baseline: N small mails through lettre's own pooled `SmtpTransport` (what
//! `unanswered` used first), to compare with our single-write SMTP session.
//! Usage: lettre_pooled PORT N

use lettre::{Message, SmtpTransport, Transport};

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().expect("PORT").parse().expect("port");
    let n: usize = args.next().expect("N").parse().expect("n");
    let t = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(port)
        .build();
    let start = std::time::Instant::now();
    for i in 0..n {
        let m = Message::builder()
            .from("pbx@example.com".parse().unwrap())
            .to("anna@example.com".parse().unwrap())
            .subject(format!("baseline {i}"))
            .body(String::from("x\r\n"))
            .unwrap();
        t.send(&m).expect("send");
    }
    println!("{:.3}", start.elapsed().as_secs_f64());
}
