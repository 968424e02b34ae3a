package schema

import (
	"strings"
	"time"
)

// Timestamps in their JSON form. The common shape — UTC, "Z", up to nine
// fractional digits — is parsed and written here; any other (an offset,
// lower-case letters) goes through time.Parse as protojson does.

// parseTimestamp returns a Timestamp's seconds and nanos with protojson's
// checks, or false.
func parseTimestamp(s string) (int64, int32, bool) {
	if secs, nanos, ok := parseUTC(s); ok {
		return secs, nanos, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, 0, false
	}
	secs := t.Unix()
	if secs < minTimestampSeconds || secs > maxTimestampSeconds {
		return 0, 0, false
	}
	if i, j := strings.LastIndexByte(s, '.'), strings.LastIndexAny(s, "Z-+"); i >= 0 && j >= i && j-i > len(".999999999") {
		return 0, 0, false
	}
	return secs, int32(t.Nanosecond()), true
}

// parseUTC reads YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z with every field in range
// (the day within its month): what time.Parse accepts in that shape.
func parseUTC(s string) (int64, int32, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return 0, 0, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return 0, 0, false
	}
	nanos, ok := fraction(s[19 : len(s)-1])
	if !ok {
		return 0, 0, false
	}
	secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec)
	if secs < minTimestampSeconds || secs > maxTimestampSeconds {
		return 0, 0, false
	}
	return secs, nanos, true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// fraction reads "" or "." and 1–9 digits as nanoseconds.
func fraction(s string) (int32, bool) {
	if s == "" {
		return 0, true
	}
	if s[0] != '.' || len(s) < 2 || len(s) > 10 {
		return 0, false
	}
	n, ok := digits(s[1:])
	for i := len(s) - 1; i < 9; i++ {
		n *= 10
	}
	return int32(n), ok
}

func daysIn(month, year int) int {
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

// daysFromCivil is the number of days from 1970-01-01 to the date
// (proleptic Gregorian; Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// appendTimestamp writes seconds and nanos (in range) as protojson does:
// UTC, "Z", 0, 3, 6 or 9 fractional digits.
func appendTimestamp(b []byte, secs, nanos int64) []byte {
	b = time.Unix(secs, 0).UTC().AppendFormat(b, "2006-01-02T15:04:05")
	if nanos != 0 {
		var frac [10]byte
		x := nanos
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + x%10)
			x /= 10
		}
		frac[0] = '.'
		n := 10
		for n > 4 && string(frac[n-3:n]) == "000" {
			n -= 3
		}
		b = append(b, frac[:n]...)
	}
	return append(b, 'Z')
}
