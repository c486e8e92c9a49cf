package store

import (
	"context"
	"fmt"
	"time"
)

// Count is one bar of a statistic: a key and how many.
type Count struct {
	Key string
	N   int
}

// DayCount is the verifications of one day (UTC) by recommendation.
type DayCount struct {
	Day                 time.Time
	Clear, Refer, Alert int
}

// Stats are the review page's statistics over a time range.
type Stats struct {
	Since, Until time.Time
	Total        int
	PerDay       []DayCount // every day of the range, empty days included
	// Referrals (REFER and ALERT) by reason code, by counter and by route.
	ByReason  []Count
	ByCounter []Count
	ByRoute   []Count
	// Final decisions, and the actions recorded with them.
	Decisions []Count
	Actions   []Count
	Undecided int // referred cases without a final decision
}

// Stats counts the verifications submitted in [since, until).
func (v *Vault) Stats(ctx context.Context, since, until time.Time) (*Stats, error) {
	s := &Stats{Since: since, Until: until}
	lo, hi := fmtTime(since), fmtTime(until)
	rows, err := v.db.QueryContext(ctx, `SELECT substr(created_at, 1, 10), recommendation, COUNT(*) FROM verifications
		WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("store: stats: %w", err)
	}
	byDay := map[string]*DayCount{}
	for rows.Next() {
		var day, rec string
		var n int
		if err := rows.Scan(&day, &rec, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: stats: %w", err)
		}
		d := byDay[day]
		if d == nil {
			d = &DayCount{}
			byDay[day] = d
		}
		switch rec {
		case "CLEAR":
			d.Clear += n
		case "REFER":
			d.Refer += n
		case "ALERT":
			d.Alert += n
		}
		s.Total += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: stats: %w", err)
	}
	first := since.UTC().Truncate(24 * time.Hour)
	for day := first; day.Before(until); day = day.Add(24 * time.Hour) {
		dc := DayCount{Day: day}
		if d := byDay[day.Format(time.DateOnly)]; d != nil {
			dc.Clear, dc.Refer, dc.Alert = d.Clear, d.Refer, d.Alert
		}
		s.PerDay = append(s.PerDay, dc)
	}
	counts := func(q string) ([]Count, error) {
		rows, err := v.db.QueryContext(ctx, q, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("store: stats: %w", err)
		}
		defer rows.Close()
		var out []Count
		for rows.Next() {
			var c Count
			if err := rows.Scan(&c.Key, &c.N); err != nil {
				return nil, fmt.Errorf("store: stats: %w", err)
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
	const referred = ` FROM verifications v WHERE v.recommendation <> 'CLEAR' AND v.created_at >= ? AND v.created_at < ?`
	if s.ByReason, err = counts(`SELECT j.value, COUNT(*) FROM verifications v, json_each(v.reasons) j
		WHERE v.recommendation <> 'CLEAR' AND v.created_at >= ? AND v.created_at < ? GROUP BY 1 ORDER BY 2 DESC, 1`); err != nil {
		return nil, err
	}
	if s.ByCounter, err = counts(`SELECT v.counter, COUNT(*)` + referred + ` GROUP BY 1 ORDER BY 2 DESC, 1`); err != nil {
		return nil, err
	}
	if s.ByRoute, err = counts(`SELECT CASE WHEN v.route = '' THEN '(none)' ELSE v.route END, COUNT(*)` + referred + ` GROUP BY 1 ORDER BY 2 DESC, 1`); err != nil {
		return nil, err
	}
	if s.Decisions, err = counts(`SELECT COALESCE(m.decision, 'undecided'), COUNT(*) FROM movements m JOIN verifications v ON v.id = m.verification_id
		WHERE v.created_at >= ? AND v.created_at < ? AND (m.decision IS NOT NULL OR v.recommendation <> 'CLEAR') GROUP BY 1 ORDER BY 2 DESC, 1`); err != nil {
		return nil, err
	}
	for i, c := range s.Decisions {
		if c.Key == "undecided" {
			s.Undecided = c.N
			s.Decisions = append(s.Decisions[:i:i], s.Decisions[i+1:]...)
			break
		}
	}
	if s.Actions, err = counts(`SELECT j.value, COUNT(*) FROM movements m JOIN verifications v ON v.id = m.verification_id,
		json_each(m.decision_actions) j WHERE v.created_at >= ? AND v.created_at < ? AND m.decision_actions IS NOT NULL
		GROUP BY 1 ORDER BY 2 DESC, 1`); err != nil {
		return nil, err
	}
	return s, nil
}
