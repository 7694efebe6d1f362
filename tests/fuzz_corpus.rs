//! The fuzz targets (fuzz/, run with cargo-fuzz) under `cargo test` on the stable toolchain:
//! every kept corpus input, then a few hundred deterministic mutations of each, through the
//! same target bodies. A crash cargo-fuzz found is added to the corpus and stays a test here.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!inputs.is_empty(), "empty corpus {}", dir.display());
    inputs
}

/// xorshift64: the same mutations every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

fn mutate(rng: &mut Rng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            1 => {
                let i = rng.below(v.len() + 1);
                v.insert(i, [b'\r', b'\n', b'-', b'%', b'=', b'&', b'|', b':', 0x1f, 0xff][rng.below(10)]);
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = 1 + rng.below(8.min(v.len() - i));
                v.drain(i..i + n);
            }
            3 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = 1 + rng.below(16.min(v.len() - i));
                let piece = v[i..i + n].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, piece);
            }
            4 => {
                let o = &others[rng.below(others.len())];
                let cut = rng.below(v.len() + 1);
                v.truncate(cut);
                v.extend_from_slice(&o[rng.below(o.len() + 1)..]);
            }
            _ => v.truncate(rng.below(v.len() + 1)),
        }
    }
    v
}

fn run(target: &str, f: fn(&[u8]), rounds: usize) {
    let inputs = corpus(target);
    for input in &inputs {
        f(input);
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..rounds {
        let base = &inputs[round % inputs.len()];
        let m = mutate(&mut rng, base, &inputs);
        let r = std::panic::catch_unwind(|| f(&m));
        if r.is_err() {
            panic!("{target}: round {round} failed on input {:?}", String::from_utf8_lossy(&m));
        }
    }
}

#[test]
fn multipart_corpus() {
    run("multipart", targets::multipart, 600);
}

#[test]
fn params_corpus() {
    run("params", targets::params, 600);
}

#[test]
fn title_corpus() {
    run("title", targets::title, 1500);
}

#[test]
fn exif_corpus() {
    run("exif", targets::exif, 1500);
}
