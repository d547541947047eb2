//! Z85 and CURVE keys, checked against libzmq 4.3 (values printed by
//! `python3 zmtp-core/tests/vectors/capture_curve.py`, which calls libzmq.so.5's
//! `zmq_z85_encode` and `zmq_curve_public`).

mod support;

use zmtp_core::keys::{KeyError, Z85_KEY_LEN};
use zmtp_core::z85::{self, Z85Error};
use zmtp_core::{PublicKey, SecretKey};

#[test]
fn z85_hello_world_vector_from_rfc32() {
    let bytes = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
    assert_eq!(z85::encode(&bytes).unwrap(), "HelloWorld");
    assert_eq!(z85::decode("HelloWorld").unwrap(), bytes);
}

#[test]
fn z85_of_a_32_byte_key_matches_libzmq() {
    let counting: Vec<u8> = (0..32).collect();
    let text = "009c61o!#m2NH?C3>iWS5d]J*6CRx17-skh9337x";
    assert_eq!(z85::encode(&counting).unwrap(), text);
    assert_eq!(text.len(), Z85_KEY_LEN);
    assert_eq!(
        PublicKey::from_z85(text).unwrap().as_bytes()[..],
        counting[..]
    );
}

#[test]
fn z85_refuses_what_rfc32_does_not_define() {
    assert_eq!(z85::encode(&[1, 2, 3]), Err(Z85Error::BadLength { len: 3 }));
    assert_eq!(z85::decode("abcd"), Err(Z85Error::BadLength { len: 4 }));
    assert_eq!(
        z85::decode("ab~de"),
        Err(Z85Error::BadCharacter { position: 2 })
    );
    assert_eq!(
        z85::decode("#####"),
        Err(Z85Error::Overflow { position: 0 })
    );
}

#[test]
fn keys_parse_raw_and_z85_with_clear_errors() {
    let key = PublicKey::from_z85("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7").unwrap();
    assert_eq!(PublicKey::from_slice(key.as_bytes()), Ok(key));
    assert_eq!(key.to_string().parse::<PublicKey>(), Ok(key));
    assert_eq!(
        PublicKey::from_z85("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf"),
        Err(KeyError::BadZ85Length { len: 39 })
    );
    assert_eq!(
        PublicKey::from_slice(&[0; 16]),
        Err(KeyError::BadLength { len: 16 })
    );
    let err = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf\"".parse::<PublicKey>();
    assert_eq!(
        err,
        Err(KeyError::Z85(Z85Error::BadCharacter { position: 39 }))
    );
    assert_eq!(
        err.unwrap_err().to_string(),
        "invalid Z85 CURVE key: character at offset 39 is not Z85"
    );
    assert!(SecretKey::from_z85("too short").is_err());
}

#[test]
fn secrets_are_not_printed() {
    let secret = SecretKey::from_z85("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6").unwrap();
    let printed = format!("{secret:?}");
    assert!(!printed.contains("JTKVSB"), "{printed}");
    assert_eq!(
        secret.expose_z85().as_str(),
        "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
    );
}

#[cfg(feature = "curve")]
mod curve {
    use super::support::SeededRandom;
    use zmtp_core::{KeyPair, PublicKey, SecretKey};

    fn public_of(secret: &str) -> String {
        let pair = KeyPair::from_secret(SecretKey::from_z85(secret).unwrap());
        pair.public().to_string()
    }

    #[test]
    fn public_keys_are_derived_as_libzmq_derives_them() {
        // zmq_curve_public("0rJua1Qk..."), the secret being the bytes 0x01..=0x20.
        let secret: [u8; 32] = std::array::from_fn(|i| i as u8 + 1);
        let pair = KeyPair::from_secret(SecretKey::from_bytes(secret));
        assert_eq!(
            pair.secret().expose_z85().as_str(),
            "0rJua1Qkhq2)}4G4gS)W5Ft->6=4P585:Cl9uDpB"
        );
        assert_eq!(
            pair.public().to_string(),
            "2CVWV6D&QXW]Ii55A)@qco1MAyn+7#3/w+9Xnrjk"
        );
        // The test keys of libzmq's zmq_curve(7) manual page.
        assert_eq!(
            public_of("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"),
            "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
        );
        assert_eq!(
            public_of("D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"),
            "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
        );
    }

    #[test]
    fn generated_key_pairs_come_from_the_random_source_only() {
        let a = KeyPair::generate(&SeededRandom::new(7));
        let b = KeyPair::generate(&SeededRandom::new(7));
        let c = KeyPair::generate(&SeededRandom::new(8));
        assert_eq!(a, b);
        assert_ne!(a.public(), c.public());
        assert_eq!(*a.public(), a.secret().public_key());
        let printed = format!("{a:?}");
        assert!(printed.contains(&a.public().to_string()));
        assert!(!printed.contains(a.secret().expose_z85().as_str()));
        let _: &PublicKey = a.public();
    }
}
