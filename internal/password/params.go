package password

import "fmt"

// Bounds on argon2id parameters, for new hashes and for stored ones. They
// keep a hostile or corrupted stored hash from costing more than a few
// seconds of CPU; memory is bounded separately by the Hasher's budget.
const (
	maxMemoryKiB = 4 << 20 // 4 GiB
	maxTime      = 64
	maxThreads   = 64
	maxWork      = 4 << 20 // memory (KiB) times passes: 4 GiB in one pass
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 128
)

// Params are the argon2id cost parameters of a hash.
type Params struct {
	Memory  uint32 // memory in KiB
	Time    uint32 // number of passes over the memory
	Threads uint8  // degree of parallelism
	SaltLen uint32 // salt length in bytes
	KeyLen  uint32 // derived key length in bytes
}

// DefaultParams returns the OWASP recommendation for argon2id: 19 MiB of
// memory, 2 passes, 1 thread, a 16-byte salt and a 32-byte key.
func DefaultParams() Params {
	return Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Validate reports whether p lies within the bounds that [Hasher.Verify]
// accepts in a stored hash. [NewHasher] panics on parameters that fail it.
func (p Params) Validate() error {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("argon2 threads %d outside 1..%d", p.Threads, maxThreads)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2 time %d outside 1..%d", p.Time, maxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("argon2 memory %d KiB outside %d..%d",
			p.Memory, 8*uint32(p.Threads), maxMemoryKiB)
	case uint64(p.Memory)*uint64(p.Time) > maxWork:
		return fmt.Errorf("argon2 memory %d KiB times time %d exceeds %d",
			p.Memory, p.Time, maxWork)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("argon2 salt length %d outside %d..%d",
			p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("argon2 key length %d outside %d..%d",
			p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// weakerThan reports whether a hash made with p is cheaper to attack than
// one made with target. The number of threads does not change the total
// work, so it is not compared.
func (p Params) weakerThan(target Params) bool {
	return p.Memory < target.Memory || p.Time < target.Time ||
		p.SaltLen < target.SaltLen || p.KeyLen < target.KeyLen
}
