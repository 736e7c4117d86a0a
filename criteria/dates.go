package criteria

import (
	"time"

	"github.com/crmd/crmd"
)

// Env is what a criterion's relative values are resolved against. Compile and Eval must be given the same
// Env to agree.
type Env struct {
	// Now is the current instant; zero means time.Now() at the call.
	Now time.Time
	// Loc is the org's time zone, in which days, weeks, months and years begin; nil means UTC.
	Loc *time.Location
	// UserID is the user ${CURRENTUSER} stands for.
	UserID crmd.ID
}

// normal fills in Env's defaults.
func (e Env) normal() Env {
	if e.Loc == nil {
		e.Loc = time.UTC
	}
	if e.Now.IsZero() {
		e.Now = time.Now()
	}
	return e
}

// keywordDays resolves a date keyword to the half-open range of days [lo, hi) it names, relative to the day
// env.Now falls on in env.Loc. Weeks run Sunday to Saturday (Zoho's default week start); quarters are
// calendar quarters. LAST_N_<unit>:n is the n whole units before the current one and NEXT_N_<unit>:n the
// n whole units after it; the current unit belongs to neither.
func keywordDays(k DateKeyword, env Env) (lo, hi time.Time) {
	now := env.Now.In(env.Loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	week := today.AddDate(0, 0, -int(today.Weekday()))
	month := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	quarter := time.Date(today.Year(), (today.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	year := time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	days := func(t time.Time, a, b int) (time.Time, time.Time) { return t.AddDate(0, 0, a), t.AddDate(0, 0, b) }
	months := func(t time.Time, a, b int) (time.Time, time.Time) { return t.AddDate(0, a, 0), t.AddDate(0, b, 0) }
	n := k.N
	switch k.Name {
	case "TODAY":
		return days(today, 0, 1)
	case "YESTERDAY":
		return days(today, -1, 0)
	case "TOMORROW":
		return days(today, 1, 2)
	case "THISWEEK":
		return days(week, 0, 7)
	case "LASTWEEK":
		return days(week, -7, 0)
	case "NEXTWEEK":
		return days(week, 7, 14)
	case "THISMONTH":
		return months(month, 0, 1)
	case "LASTMONTH":
		return months(month, -1, 0)
	case "NEXTMONTH":
		return months(month, 1, 2)
	case "THISQUARTER":
		return months(quarter, 0, 3)
	case "LASTQUARTER":
		return months(quarter, -3, 0)
	case "NEXTQUARTER":
		return months(quarter, 3, 6)
	case "THISYEAR":
		return months(year, 0, 12)
	case "LASTYEAR":
		return months(year, -12, 0)
	case "NEXTYEAR":
		return months(year, 12, 24)
	case "LAST_N_DAYS":
		return days(today, -n, 0)
	case "NEXT_N_DAYS":
		return days(today, 1, 1+n)
	case "LAST_N_WEEKS":
		return days(week, -7*n, 0)
	case "NEXT_N_WEEKS":
		return days(week, 7, 7+7*n)
	case "LAST_N_MONTHS":
		return months(month, -n, 0)
	case "NEXT_N_MONTHS":
		return months(month, 1, 1+n)
	case "LAST_N_YEARS":
		return months(year, -12*n, 0)
	case "NEXT_N_YEARS":
		return months(year, 12, 12+12*n)
	}
	// Parse admits no other name; an empty range matches nothing rather than everything.
	return today, today
}

// dayRange resolves a Date or DateKeyword to a half-open range of days, each as midnight UTC.
func dayRange(v any, env Env) (lo, hi time.Time) {
	switch x := v.(type) {
	case Date:
		return x.t(), x.t().AddDate(0, 0, 1)
	case DateKeyword:
		return keywordDays(x, env)
	}
	return time.Time{}, time.Time{}
}

// timeRange resolves the value of a date or datetime criterion to the half-open range [lo, hi) it names,
// in the form stored values of f are compared in: "2006-01-02" strings for date fields,
// "2006-01-02T15:04:05Z" strings for datetimes in records.data, and Unix milliseconds (int64) for the
// time columns. Compile binds these bounds and Eval compares against the very same ones.
func timeRange(f *crmd.Field, v any, env Env) (lo, hi any) {
	if kindOf(f) == kDate {
		a, b := dayRange(v, env)
		return fmtDay(a), fmtDay(b)
	}
	var a, b time.Time
	if t, ok := v.(time.Time); ok {
		a, b = t, t.Add(time.Second)
	} else {
		// A day of a datetime field is that day in the org's time zone.
		d1, d2 := dayRange(v, env)
		a = time.Date(d1.Year(), d1.Month(), d1.Day(), 0, 0, 0, 0, env.Loc)
		b = time.Date(d2.Year(), d2.Month(), d2.Day(), 0, 0, 0, 0, env.Loc)
	}
	if columnOf(f) != "" {
		return a.UnixMilli(), b.UnixMilli()
	}
	return fmtInstant(a), fmtInstant(b)
}

// fmtDay formats a day as stored. Years outside 0000–9999 (reachable only with a far-off Env.Now) become
// sentinels that sort below or above every stored date, which keeps byte order equal to time order.
func fmtDay(t time.Time) string {
	switch {
	case t.Year() < 0:
		return "0000-00-00"
	case t.Year() > 9999:
		return "9999-99-99"
	}
	return t.Format(dateLayout)
}

// fmtInstant formats an instant as stored, with the same sentinels as fmtDay.
func fmtInstant(t time.Time) string {
	t = t.UTC()
	switch {
	case t.Year() < 0:
		return "0000-00-00T00:00:00Z"
	case t.Year() > 9999:
		return "9999-99-99T99:99:99Z"
	}
	return t.Format(storedDatetime)
}
