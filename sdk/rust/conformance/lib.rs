//! The Rust SDK's guest for the ABI conformance vectors
//! (sdk/testdata/conformance.json). Each record's value is a command:
//!
//!   keep | set:TEXT | drop | error:MSG | route:P1,P2 | fanout:N
//!   meta:K=V | delmeta:K | getmeta:K | panic
//!
//! A Rust panic aborts on wasm32 (it traps the whole batch: see
//! sdk/rust/README.md), so `panic` fails its record with the message the
//! vectors want, as the C guest does; the runtime's tests check what a real
//! panic does.

use std::str;

struct Conformance {
    prefix: Vec<u8>,
}

impl weir::Transform for Conformance {
    fn init(config: &[u8]) -> Result<Self, weir::Error> {
        if config == b"fail" {
            return Err("config says fail".into());
        }
        Ok(Conformance { prefix: config.to_vec() })
    }

    fn record(&mut self, r: &mut weir::Record) -> Result<(), weir::Error> {
        let cmd = r.value().to_vec();
        let (verb, arg) = match cmd.iter().position(|&b| b == b':') {
            Some(i) => (&cmd[..i], &cmd[i + 1..]),
            None => (&cmd[..], &[][..]),
        };
        let text = || str::from_utf8(arg).map_err(|e| -> weir::Error { e.into() });
        match verb {
            b"keep" => {}
            b"set" => {
                let v = [&self.prefix[..], arg].concat();
                r.set_value(&v);
            }
            b"drop" => r.drop(),
            b"error" => return Err(text()?.into()),
            b"route" => {
                for p in text()?.split(',') {
                    r.route(p);
                }
            }
            b"fanout" => {
                for i in 0..text()?.parse::<u32>()? {
                    r.emit(i.to_string().as_bytes(), &[]);
                }
            }
            b"meta" => {
                let (k, v) = text()?.split_once('=').ok_or("meta: want K=V")?;
                r.set_meta(k, v.as_bytes());
            }
            b"delmeta" => r.delete_meta(text()?),
            b"getmeta" => {
                let v = match r.meta(text()?) {
                    Some(v) => [b"true:", v].concat(),
                    None => b"false:".to_vec(),
                };
                r.set_value(&v);
            }
            b"panic" => return Err("handler panicked: asked to panic".into()),
            b"crash" => panic!("asked to crash"),
            _ => return Err(format!("unknown command {}", String::from_utf8_lossy(verb)).into()),
        }
        Ok(())
    }
}

weir::export!(Conformance);
