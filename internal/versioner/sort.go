package versioner

import "strings"

// sortedKeys returns m's keys, and the order in which json.Marshal writes
// them (byte by byte): keys[order[0]] first. A radix sort that reads the
// keys from their first byte finds it: a large metadata input's keys tend
// to share long prefixes (artifact_1, artifact_2, ... artifact_748),
// which a comparison sort reads again in each of its n log n comparisons
// (slices.Sort took half of Body's time for 749 keys). It moves the keys'
// indexes, which hold no pointers: no write barrier while the garbage
// collector runs.
func sortedKeys(m map[string]any) (keys []string, order []int32) {
	keys = make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	idx := make([]int32, 2*len(keys)) // and scratch
	order = idx[:len(keys)]
	for i := range order {
		order[i] = int32(i)
	}
	radix(keys, order, idx[len(keys):], 0)
	return keys, order
}

// radix sorts idx by keys[idx[i]], keys that share their first depth
// bytes. tmp is scratch, at least as long as idx.
func radix(keys []string, idx, tmp []int32, depth int) {
	for len(idx) > 16 {
		// Bucket 0 holds the keys that end at depth, bucket c+1 those
		// whose next byte is c.
		var count [257]int
		for _, i := range idx {
			count[next(keys[i], depth)]++
		}
		if b := next(keys[idx[0]], depth); count[b] == len(idx) {
			if b == 0 {
				return // all the same key
			}
			depth++ // a byte every key has: on to the next
			continue
		}
		var start [258]int
		for b, n := range count {
			start[b+1] = start[b] + n
		}
		pos := start
		for _, i := range idx {
			b := next(keys[i], depth)
			tmp[pos[b]] = i
			pos[b]++
		}
		copy(idx, tmp[:len(idx)])
		// Each bucket on its own: the largest by this loop rather than a
		// call, so that calls nest at most log2(len(idx)) deep. Bucket
		// 0's keys are all the same.
		largest := 1
		for b := 2; b < 257; b++ {
			if count[b] > count[largest] {
				largest = b
			}
		}
		for b := 1; b < 257; b++ {
			if b != largest && count[b] > 1 {
				radix(keys, idx[start[b]:start[b+1]], tmp, depth+1)
			}
		}
		idx, depth = idx[start[largest]:start[largest+1]], depth+1
	}
	// A few keys: by insertion, compared past the bytes they share.
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && strings.Compare(keys[idx[j]][depth:], keys[idx[j-1]][depth:]) < 0; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
}

// next is the bucket of s's byte at depth: 0 past its end, else the byte
// and one.
func next(s string, depth int) int {
	if depth < len(s) {
		return int(s[depth]) + 1
	}
	return 0
}
