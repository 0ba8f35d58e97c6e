//! One T.38 call over UDPTL on a UDP socket, in real time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fax_line::t38::Terminal;
use fax_t30::session::Event;
use tokio::net::UdpSocket;

use crate::Error;

/// The largest datagram we accept; UDPTL datagrams are far smaller, and anything
/// bigger is cut here and then rejected by the UDPTL parser.
const MAX_DATAGRAM: usize = 65_536;

/// Runs `terminal` over `socket` with the peer at `remote` until the T.30 session
/// ends, handing every session event to `on_event` as it happens.
///
/// Datagrams from any other address are ignored: a fax call has exactly one peer,
/// and accepting others would let anyone on the network inject frames. `limit` is a
/// safety net above the T.30 timers, which end every call by themselves.
pub async fn run(
    terminal: &mut Terminal,
    socket: &UdpSocket,
    remote: SocketAddr,
    limit: Duration,
    mut on_event: impl FnMut(&Event),
) -> Result<(), Error> {
    let started = Instant::now();
    let give_up = started + limit;
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    loop {
        while let Some(datagram) = terminal.poll_datagram() {
            if let Err(error) = socket.send_to(&datagram, remote).await {
                // A peer that is not listening yet makes some systems report the
                // ICMP error on a later call; the T.30 timers deal with silence.
                if error.kind() != std::io::ErrorKind::ConnectionRefused {
                    return Err(error.into());
                }
            }
        }
        while let Some(event) = terminal.poll_event() {
            on_event(&event);
        }
        if terminal.is_finished() {
            return Ok(());
        }
        let now = Instant::now();
        if now >= give_up {
            terminal.abort(now);
            while let Some(event) = terminal.poll_event() {
                on_event(&event);
            }
            return Err(Error::CallTooLong(limit));
        }
        let deadline = terminal.poll_timeout().map_or(give_up, |t| t.min(give_up));
        tokio::select! {
            received = socket.recv_from(&mut buffer) => match received {
                Ok((len, from)) if from == remote => {
                    terminal.handle_datagram(&buffer[..len], Instant::now());
                }
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(error) => return Err(error.into()),
            },
            () = tokio::time::sleep_until(deadline.into()) => {
                terminal.handle_timeout(Instant::now());
            }
        }
    }
}
