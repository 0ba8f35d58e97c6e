//! Signing and verification against the Standard Webhooks reference vectors.

use webhook::{Error, Headers, MAX_SIGNATURE_HEADER_BYTES, Secret, next_attempt, sign, verify};

/// The example of the Standard Webhooks reference libraries' tests (also svix's).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP: i64 = 1_614_265_330;
const BODY: &[u8] = br#"{"test": 2432232314}"#;
const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn secret() -> Secret {
    Secret::parse(SECRET).expect("the reference secret parses")
}

fn headers<'a>(timestamp: &'a str, signature: &'a str) -> Headers<'a> {
    Headers { id: ID, timestamp, signature }
}

#[test]
fn signs_the_reference_vectors() {
    assert_eq!(sign(&secret(), ID, TIMESTAMP, BODY), SIGNATURE);
    // The Rust reference library's own test vector.
    let other = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").expect("parses");
    assert_eq!(
        sign(
            &other,
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1_649_367_553,
            br#"{"email":"test@example.com","username":"test_user"}"#
        ),
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    );
}

#[test]
fn verifies_the_reference_vector() {
    let ts = TIMESTAMP.to_string();
    verify(&secret(), &headers(&ts, SIGNATURE), BODY, TIMESTAMP, 300).expect("verifies");
}

#[test]
fn tampering_fails() {
    let ts = TIMESTAMP.to_string();
    let check = |secret: &Secret, id: &str, ts: &str, body: &[u8]| {
        verify(secret, &Headers { id, timestamp: ts, signature: SIGNATURE }, body, TIMESTAMP, 300)
    };
    assert!(matches!(check(&secret(), ID, &ts, br#"{"test": 2432232315}"#), Err(Error::NoMatchingSignature)));
    assert!(matches!(
        check(&secret(), "msg_p5jXN8AQM9LWM0D4loKWxJeK", &ts, BODY),
        Err(Error::NoMatchingSignature)
    ));
    let shifted = (TIMESTAMP + 1).to_string();
    assert!(matches!(check(&secret(), ID, &shifted, BODY), Err(Error::NoMatchingSignature)));
    let other = Secret::generate().expect("secret");
    assert!(matches!(check(&other, ID, &ts, BODY), Err(Error::NoMatchingSignature)));
    for bad in
        ["", "v1,", "v1", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "v1,not base64!", "v1,g0hM9SsE"]
    {
        let result = verify(&secret(), &headers(&ts, bad), BODY, TIMESTAMP, 300);
        assert!(matches!(result, Err(Error::NoMatchingSignature)), "{bad:?} gave {result:?}");
    }
    for bad in ["", "abc", "1614265330.5", "99999999999999999999999"] {
        assert!(matches!(
            verify(&secret(), &headers(bad, SIGNATURE), BODY, TIMESTAMP, 300),
            Err(Error::InvalidTimestamp)
        ));
    }
}

#[test]
fn tolerance_boundaries() {
    let ts = TIMESTAMP.to_string();
    let at = |now: i64| verify(&secret(), &headers(&ts, SIGNATURE), BODY, now, 300);
    at(TIMESTAMP + 300).expect("exactly the tolerance old is accepted");
    at(TIMESTAMP - 300).expect("exactly the tolerance ahead is accepted");
    assert!(matches!(at(TIMESTAMP + 301), Err(Error::TimestampTooOld)));
    assert!(matches!(at(TIMESTAMP - 301), Err(Error::TimestampInFuture)));
    assert!(matches!(at(i64::MAX), Err(Error::TimestampTooOld)));
    assert!(matches!(at(i64::MIN), Err(Error::TimestampInFuture)));
    // A tolerance of zero accepts the same second only.
    let ok = verify(&secret(), &headers(&ts, SIGNATURE), BODY, TIMESTAMP, 0);
    assert!(ok.is_ok());
}

#[test]
fn any_of_several_signatures_may_match() {
    let ts = TIMESTAMP.to_string();
    let others = "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ= v1a,abc v2,xyz garbage v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q=";
    let with = format!("{others} {SIGNATURE} v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE=");
    verify(&secret(), &headers(&ts, &with), BODY, TIMESTAMP, 300).expect("one entry matches");
    assert!(matches!(
        verify(&secret(), &headers(&ts, others), BODY, TIMESTAMP, 300),
        Err(Error::NoMatchingSignature)
    ));
    let huge = format!("{} {SIGNATURE}", "v1,AAAA".repeat(MAX_SIGNATURE_HEADER_BYTES));
    assert!(matches!(
        verify(&secret(), &headers(&ts, &huge), BODY, TIMESTAMP, 300),
        Err(Error::SignatureHeaderTooLong)
    ));
}

#[test]
fn secrets() {
    let generated = Secret::generate().expect("secret");
    let text = generated.to_string();
    assert!(text.starts_with("whsec_"));
    assert_eq!(Secret::parse(&text).expect("round trip"), generated);
    assert_ne!(Secret::generate().expect("secret"), generated);
    assert_eq!(format!("{generated:?}"), "Secret(<redacted>)");
    assert_eq!(secret().to_string(), SECRET);
    let b64 = |n: usize| {
        use base64::Engine;
        format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(vec![7u8; n]))
    };
    assert!(Secret::parse(&b64(24)).is_ok());
    assert!(Secret::parse(&b64(64)).is_ok());
    for bad in [
        b64(23),
        b64(65),
        b64(1000),
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
        "whsec_".to_owned(),
        "whsec_!!!!".to_owned(),
    ] {
        assert!(matches!(Secret::parse(&bad), Err(Error::InvalidSecret)), "{bad:?}");
    }
}

#[test]
fn retry_schedule_lasts_about_a_day() {
    assert_eq!(next_attempt(0), Some(std::time::Duration::ZERO));
    let waits: Vec<u64> = (0..).map_while(next_attempt).map(|d| d.as_secs()).collect();
    assert_eq!(waits, [0, 5, 300, 1800, 7200, 18000, 36000, 36000]);
    let total: u64 = waits.iter().sum();
    assert!((24 * 3600..30 * 3600).contains(&total), "{total} s");
    assert_eq!(next_attempt(8), None);
    assert_eq!(next_attempt(u32::MAX), None);
}
