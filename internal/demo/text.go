package demo

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// arena turns byte slices into strings that share large backing buffers, so a
// million household codes cost a few hundred allocations instead of a million.
// Strings handed out stay valid and unchanged: the builder only ever appends.
type arena struct {
	b strings.Builder
}

const arenaChunk = 256 << 10

// str returns p as a string.
func (a *arena) str(p []byte) string {
	if a.b.Cap()-a.b.Len() < len(p) {
		a.b.Reset()
		a.b.Grow(max(arenaChunk, len(p)))
	}
	start := a.b.Len()
	a.b.Write(p)
	return a.b.String()[start:]
}

// appendPadded appends v in decimal with at least width digits.
func appendPadded(b []byte, v, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// idWeights are the GB 11643-1999 weights of the first 17 digits.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum modulo 11 to the check character.
const idCheckChars = "10X98765432"

// IDCheckDigit returns the GB 11643 check character of the first 17 digits of a
// citizen ID number, or 0 when they are not 17 digits.
func IDCheckDigit(first17 string) byte {
	return idCheck([]byte(first17))
}

func idCheck(d []byte) byte {
	if len(d) != 17 {
		return 0
	}
	sum := 0
	for i, c := range d {
		if c < '0' || c > '9' {
			return 0
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// ValidIDNumber reports whether s is 18 characters with a correct GB 11643 check
// character.
func ValidIDNumber(s string) bool {
	return len(s) == 18 && IDCheckDigit(s[:17]) == s[17]
}

// idMinYear and idMaxYear bound the birth years of generated owners.
const (
	idMinYear = 1925
	idMaxYear = 2005
)

// idAllocator hands out fake but well-formed ID numbers that never repeat: every
// (area, birth date) slot keeps its own sequence counter.
type idAllocator struct {
	seq []uint16
}

func newIDAllocator() *idAllocator {
	return &idAllocator{seq: make([]uint16, len(idAreas)*(idMaxYear-idMinYear+1)*12*31)}
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// appendID appends an 18-character ID number for someone born in year, of the
// given sex.
func (a *idAllocator) appendID(b []byte, r *rand.Rand, year int, male bool) []byte {
	year = min(max(year, idMinYear), idMaxYear)
	area := r.IntN(len(idAreas))
	month := 1 + r.IntN(12)
	day := 1 + r.IntN(daysIn(year, month))
	for {
		slot := ((area*(idMaxYear-idMinYear+1)+year-idMinYear)*12+month-1)*31 + day - 1
		n := int(a.seq[slot])
		if n < 490 {
			a.seq[slot]++
			seq := 10 + 2*n
			if male {
				seq++
			}
			start := len(b)
			b = append(b, idAreas[area]...)
			b = appendPadded(b, year, 4)
			b = appendPadded(b, month, 2)
			b = appendPadded(b, day, 2)
			b = appendPadded(b, seq, 3)
			return append(b, idCheck(b[start:start+17]))
		}
		// The slot is full: move to the next day of the same year.
		day++
		if day > daysIn(year, month) {
			day, month = 1, month%12+1
		}
	}
}

// appendMobile appends an 11-digit mobile number that is unique for every serial
// below 10⁸: the last eight digits are a fixed permutation of the serial.
func appendMobile(b []byte, r *rand.Rand, serial int) []byte {
	b = append(b, mobilePrefixes[r.IntN(len(mobilePrefixes))]...)
	return appendPadded(b, int((int64(serial)*37139213+24681357)%100000000), 8)
}

// appendLandline appends a Changzhou office number.
func appendLandline(b []byte, serial int) []byte {
	b = append(b, "0519-8"...)
	return appendPadded(b, int((int64(serial)*7919+1234567)%10000000), 7)
}
