//! An append-only vector in fixed-size chunks. A `Vec` that grows to a
//! million ledger rows doubles its buffer twenty times, each time copying
//! every row into freshly zeroed pages (a tenth of a 100,000-account
//! simulation's time went to those copies and page clears); chunks are
//! never moved once allocated.

/// Rows per chunk: 16,384 ledger rows are ~2 MB.
const CHUNK: usize = 1 << 14;

pub(super) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(value),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(value);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_survive_chunk_boundaries() {
        let mut c = Chunked::default();
        for i in 0..(CHUNK * 2 + 5) {
            c.push(i);
        }
        assert_eq!(c.len(), CHUNK * 2 + 5);
        for i in [0, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 4] {
            assert_eq!(c.get(i), Some(&i));
        }
        assert_eq!(c.get(2 * CHUNK + 5), None);
        assert!(c.iter().copied().eq(0..(CHUNK * 2 + 5)));
    }
}
