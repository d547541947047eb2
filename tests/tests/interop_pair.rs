//! PAIR against real libzmq: our PAIR and a libzmq PAIR exchange multipart messages (with
//! empty frames) in both directions at once, with either side binding, over tcp and ipc; and
//! our bound PAIR refuses a second libzmq PAIR while the first keeps talking.

mod support;

use std::time::Duration;

use support::*;
use zmtp_tokio::{PairSocket, Refusal};

const ROUNDS: usize = 3;

/// The `round`-th message from `who`: multipart, starting and ending with empty frames.
fn message(who: &str, round: usize) -> Vec<Vec<u8>> {
    owned(&[b"", who.as_bytes(), round.to_string().as_bytes(), b""])
}

/// Each round, both sides send before either receives (PAIR is full duplex); each must get
/// exactly what the other sent, in order.
async fn exchange(ours: &mut PairSocket, theirs: &zmq::Socket, rounds: usize) {
    for round in 0..rounds {
        within(
            LIMIT,
            "our PAIR sends",
            ours.send(message_of(&message("ours", round))),
        )
        .await
        .expect("our PAIR send");
        send_async(
            theirs,
            &refs(&message("libzmq", round)),
            "libzmq PAIR sends",
        )
        .await;
        assert_eq!(
            recv_async(theirs, "libzmq PAIR receives").await,
            message("ours", round),
            "round {round}, as libzmq's PAIR saw it"
        );
        let got = within(LIMIT, "our PAIR receives", ours.recv()).await;
        assert_eq!(
            frames_of(&got.expect("our PAIR recv")),
            message("libzmq", round),
            "round {round}, as our PAIR saw it"
        );
    }
}

async fn pair_talks_both_ways(binder: Binder, transport: Transport) {
    let ctx = context();
    let theirs = socket(&ctx, zmq::PAIR);
    let mut ours = PairSocket::new();
    let _link = link(&ours, &theirs, binder, transport).await;
    exchange(&mut ours, &theirs, ROUNDS).await;
}

every_link!(our_pair_and_libzmq_pair_talk_both_ways => pair_talks_both_ways);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_bound_pair_refuses_a_second_libzmq_pair_and_keeps_the_first() {
    let ctx = context();
    let first = socket(&ctx, zmq::PAIR);
    let mut ours = PairSocket::new();
    let mut monitor = ours.monitor();
    let link = link(&ours, &first, Binder::Ours, Transport::Tcp).await;
    exchange(&mut ours, &first, 1).await;

    // It keeps reconnecting, and its pipe (with this message queued) stays meanwhile; the
    // message must never reach our application.
    let intruder = socket(&ctx, zmq::PAIR);
    intruder.connect(&link.endpoint).unwrap();
    send_async(&intruder, &[b"intruder"], "intruder PAIR sends").await;
    let what = "our PAIR refuses the second peer";
    assert_refused(&mut monitor, Refusal::PairTaken, what).await;
    exchange(&mut ours, &first, 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let leaked = ours.try_recv();
    assert!(
        leaked.is_err(),
        "the refused PAIR's message got through: {leaked:?}"
    );
    assert_eq!(ours.connected_peers(), 1);
}
