//! The example of sdk/rust/README.md: drops test orders, routes EU ones
//! to port "eu", keeps the rest. `fixtures.json` is its golden cases.

struct DropTests;

impl weir::Transform for DropTests {
    fn init(_config: &[u8]) -> Result<Self, weir::Error> {
        Ok(DropTests)
    }

    fn record(&mut self, r: &mut weir::Record) -> Result<(), weir::Error> {
        let v = r.value();
        if v.windows(11).any(|w| w == br#""test":true"#) {
            r.drop();
        } else if r.meta("region") == Some(b"eu") {
            r.route("eu"); // a port the manifest declares
        }
        Ok(()) // an Err fails this record alone (dead-letter path)
    }
}

weir::export!(DropTests);
