package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"

	"checkpost/mrz"
)

// Synthetic names from several scripts. Names in Latin script print as
// they are (diacritics included); Cyrillic names print in Cyrillic with
// their MRZ transliteration beside them, as issuers of such documents do.
// The MRZ gets them through mrz.Transliterate (Ü -> UE, Ж -> ZH, ...).
var surnames = []string{
	"MÜLLER-LÜDENSCHEIDT", "ØDEGÅRD", "ŠIMKŪNAITĖ", "NOWAKOWSKA", "DVOŘÁKOVÁ", "ÖZTÜRK", "GONZÁLEZ DE LA PEÑA",
	"FAÇANHA", "LEFÈVRE", "O'SULLIVAN", "NGUYEN", "TANAKA", "OKONKWO", "AL-HASHIMI", "BEN SALEM", "MBEKI",
	"KOWALCZYK", "HÄKKINEN", "SVEINSDÓTTIR", "IONESCU", "PETROVIĆ", "VAN DER BERG", "DE SOUSA", "CHATTERJEE",
	"ЖУКОВСКАЯ", "ШЕВЧЕНКО", "ЩЕРБАКОВ", "ИВАНОВА", "ЮСУПОВ", "ЈОВАНОВИЋ", "SPECIMEN", "ERIKSSON", "ÅSTRÖM",
	"MCALLISTER", "KIM", "WANG", "HERNÁNDEZ", "ABDULLAHI", "KRISHNAMURTHY-VENKATARAMAN", "ZAFAR",
}

var givenNamesF = []string{
	"ANNA MARIA", "ZOË", "SØLVI", "AGNIESZKA", "BARBORA", "ELİF", "MARÍA JOSÉ", "CHLOÉ", "AOIFE", "THI LAN",
	"YUKI", "CHIAMAKA", "FATIMA", "AMIRA", "NALEDI", "ANNELI", "GUÐRÚN", "IOANA", "JELENA", "PRIYA",
	"ЕКАТЕРИНА", "ОЛЕНА", "НАТАЛЬЯ", "LIV", "HAE-WON", "XIAOMEI", "LUCÍA", "AYŞE", "EWA", "INGRID",
}

var givenNamesM = []string{
	"JÜRGEN", "BJØRN", "JONAS", "PIOTR", "JIŘÍ", "MEHMET", "JOSÉ LUIS", "FRANÇOIS", "SEÁN", "VAN MINH",
	"HIROSHI", "CHINEDU", "OMAR", "KARIM", "THABO", "MIKKO", "JÓN", "ANDREI", "NIKOLA", "RAHUL",
	"АЛЕКСАНДР", "ТАРАС", "ДМИТРИЙ", "MAGNUS", "JI-HOON", "WEI", "MATEO", "EMRE", "ŁUKASZ", "ERIK",
}

var birthPlaces = []string{
	"UTOPIA CITY", "NORTH HAVEN", "PORT MERIDIAN", "LAKESIDE", "NEW ARCADIA", "SAINT AUBIN", "KESTREL BAY",
	"ÅLBORG-ØST", "SÃO MIGUEL", "ZÜRICHBERG", "MONTEVERDE", "RIVERSTONE", "ОКРУГ СЕВЕР", "ELMWOOD", "DUNMORE",
}

// Nationalities of holders: mostly the issuer's own, and ICAO codes valid
// in an MRZ (XXA stateless, XXB/XXC refugees, UNO/UNA UN staff; visas go to
// foreign nationals).
var foreignNationalities = []string{"D", "FRA", "NLD", "BRA", "IND", "JPN", "NGA", "CAN", "XXA", "XXB", "XXC", "UNO"}

var months = [...]string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}

// printedDate writes a date as the visual zone prints it: "02 MAR 1981".
func printedDate(t time.Time) string {
	return fmt.Sprintf("%02d %s %d", t.Day(), months[t.Month()-1], t.Year())
}

// person is the holder and document data of one synthetic document.
type person struct {
	surname, given string // national script
	sex            string
	nationality    string
	birth, issue   time.Time
	expiry         time.Time
	number         string
	optional       string
	birthPlace     string
}

// latinName returns the name as printed: Latin-script names as they are;
// others followed by their MRZ transliteration.
func latinName(s string) string {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.In(r, unicode.Latin) {
			return s + " / " + strings.ReplaceAll(mrz.Transliterate(s), "<", " ")
		}
	}
	return s
}

// referenceDate anchors generated dates so that output depends only on the
// seed, never on the clock: documents are issued before it and valid
// beyond it by at least a year.
var referenceDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func randomDate(rng *rand.Rand, from, to time.Time) time.Time {
	days := int(to.Sub(from).Hours() / 24)
	return from.AddDate(0, 0, rng.IntN(days+1))
}

const numberAlphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789" // no I, O, Q: issuers avoid them

func randomPerson(rng *rand.Rand, m *Model) person {
	var p person
	p.surname = surnames[rng.IntN(len(surnames))]
	switch rng.IntN(20) {
	case 0:
		p.sex = "X"
		p.given = givenNamesF[rng.IntN(len(givenNamesF))]
	case 1, 2, 3, 4, 5, 6, 7, 8, 9:
		p.sex = "F"
		p.given = givenNamesF[rng.IntN(len(givenNamesF))]
	default:
		p.sex = "M"
		p.given = givenNamesM[rng.IntN(len(givenNamesM))]
	}
	if rng.IntN(4) == 0 { // a second given name
		p.given += " " + strings.Fields(givenNamesF[rng.IntN(len(givenNamesF))])[0]
	}
	p.nationality = m.Issuer
	if m.DocumentCode == "V" || rng.IntN(10) == 0 {
		p.nationality = foreignNationalities[rng.IntN(len(foreignNationalities))]
	}
	p.birth = randomDate(rng, time.Date(1938, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2008, 12, 31, 0, 0, 0, 0, time.UTC))
	p.issue = randomDate(rng, referenceDate.AddDate(-m.ValidityYears+1, 0, 0), referenceDate.AddDate(0, -1, 0))
	p.expiry = p.issue.AddDate(m.ValidityYears, 0, -1)
	var nb strings.Builder
	nb.WriteByte(m.NumberPrefix)
	for nb.Len() < 9 {
		nb.WriteByte(numberAlphabet[rng.IntN(len(numberAlphabet))])
	}
	p.number = nb.String()
	if m.Format == mrz.TD3 && rng.IntN(2) == 0 {
		p.optional = fmt.Sprintf("%09d", rng.IntN(1e9))
	}
	p.birthPlace = birthPlaces[rng.IntN(len(birthPlaces))]
	return p
}

func (p *person) mrzDocument(m *Model) mrz.Document {
	return mrz.Document{
		Format: m.Format, DocumentCode: m.DocumentCode, IssuingState: m.Issuer,
		DocumentNumber: p.number, Surname: p.surname, GivenNames: p.given, Nationality: p.nationality,
		Sex: p.sex, OptionalData: p.optional, BirthDate: p.birth, ExpiryDate: p.expiry,
	}
}
