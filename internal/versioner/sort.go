package versioner

import (
	"cmp"
	"encoding/binary"
	"slices"
	"strings"
)

// members are extra_metadata's keys and values, taken from the map in
// one pass, and the order in which json.Marshal writes them: by key, byte
// by byte.
type members struct {
	keys  []string
	vals  []any
	order []head // keys[order[0].i] first
}

// sortedMembers takes m's members and orders them. A metadata input's
// keys (749 of them in 100 KB) are strings scattered over the text they
// were cut from, and often share a prefix (artifact_1, artifact_2, ...):
// slices.Sort, reading them again in each of its n log n comparisons,
// took half of Body's time. Here each key's first 16 bytes are copied
// into two integers, side by side in memory and holding no pointer, which
// a radix sort orders a byte at a time; only keys alike in those 16 bytes
// are then compared whole.
func sortedMembers(m map[string]any) members {
	ms := members{keys: make([]string, 0, len(m)), vals: make([]any, 0, len(m))}
	heads := make([]head, 2*len(m)) // and scratch for the sort
	for k, v := range m {
		var b [16]byte
		copy(b[:], k)
		heads[len(ms.keys)] = head{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]), int32(len(ms.keys))}
		ms.keys = append(ms.keys, k)
		ms.vals = append(ms.vals, v)
	}
	ms.order = heads[:len(m)]
	radix(ms.keys, ms.order, heads[len(m):], 0)
	return ms
}

// head is a key's first 16 bytes (zeros past its end), and its index.
type head struct {
	hi, lo uint64
	i      int32
}

// at is the head's byte at depth (< 16).
func (h head) at(depth int) byte {
	if depth < 8 {
		return byte(h.hi >> (56 - 8*depth))
	}
	return byte(h.lo >> (56 - 8*(depth-8)))
}

// radix sorts hs, whose first depth bytes are alike, by their keys; tmp
// is scratch at least as long. Its frame holds one array of 257 int32,
// so that the goroutine writing the body need not grow its stack for the
// calls it makes.
func radix(keys []string, hs, tmp []head, depth int) {
	for len(hs) > 48 && depth < 16 {
		// end[b+1] counts the keys whose byte at depth is b; summed, end[b]
		// is where they go; once each is in place, where they end.
		var end [257]int32
		for _, h := range hs {
			end[int(h.at(depth))+1]++
		}
		if int(end[int(hs[0].at(depth))+1]) == len(hs) {
			depth++ // a byte all have: on to the next
			continue
		}
		for b := 1; b < len(end); b++ {
			end[b] += end[b-1]
		}
		for _, h := range hs {
			b := h.at(depth)
			tmp[end[b]] = h
			end[b]++
		}
		copy(hs, tmp[:len(hs)])
		// Each byte's keys (b's from end[b-1], or 0, to end[b]) on their
		// own: the most by this loop, the rest by a call, so that calls
		// nest at most log2(len(hs)) deep.
		most, mostFrom, from := 0, int32(0), int32(0)
		for b := range 256 {
			if end[b]-from > end[most]-mostFrom {
				most, mostFrom = b, from
			}
			from = end[b]
		}
		from = 0
		for b := range 256 {
			if b != most && end[b]-from > 1 {
				radix(keys, hs[from:end[b]], tmp, depth+1)
			}
			from = end[b]
		}
		hs, depth = hs[mostFrom:end[most]], depth+1
	}
	// A few keys, by insertion; or keys alike in their 16 bytes.
	if len(hs) > 48 {
		slices.SortFunc(hs, func(a, b head) int { return compare(keys, a, b) })
		return
	}
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && compare(keys, hs[j], hs[j-1]) < 0; j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
}

// compare orders two keys by their heads, else (alike in 16 bytes: a key
// that ends there and one that goes on with zeros, say) whole.
func compare(keys []string, a, b head) int {
	switch {
	case a.hi != b.hi:
		return cmp.Compare(a.hi, b.hi)
	case a.lo != b.lo:
		return cmp.Compare(a.lo, b.lo)
	}
	return strings.Compare(keys[a.i], keys[b.i])
}
