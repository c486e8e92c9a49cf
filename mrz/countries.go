package mrz

// The codes valid as issuing state or nationality in an MRZ: ISO 3166-1
// alpha-3 and the codes ICAO adds in Doc 9303 Part 3 §5. The test
// compares this table with ../shared/data/mrz/icao_codes.tsv.
const iso3166Codes = "" +
	"ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE " +
	"BDI BEL BEN BES BFA BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA " +
	"CAF CAN CCK CHE CHL CHN CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE " +
	"DEU DJI DMA DNK DOM DZA " +
	"ECU EGY ERI ESH ESP EST ETH " +
	"FIN FJI FLK FRA FRO FSM " +
	"GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY " +
	"HKG HMD HND HRV HTI HUN " +
	"IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA " +
	"JAM JEY JOR JPN " +
	"KAZ KEN KGZ KHM KIR KNA KOR KWT " +
	"LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA " +
	"MAC MAF MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT " +
	"NAM NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL " +
	"OMN " +
	"PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT PRY PSE PYF " +
	"QAT " +
	"REU ROU RUS RWA " +
	"SAU SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR " +
	"TCA TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN TZA " +
	"UGA UKR UMI URY USA UZB " +
	"VAT VCT VEN VGB VIR VNM VUT " +
	"WLF WSM " +
	"YEM " +
	"ZAF ZMB ZWE"

// icaoCodes are the codes Doc 9303 Part 3 adds to ISO 3166-1: Germany's D
// (Part A), British nationality classes and Kosovo (A), the EU (B), the
// UN (C), other issuing organisations (D), stateless persons and refugees
// (E), codes deprecated in ISO 3166 but still valid (F), Utopia for
// specimens (G) and ICAO itself (H).
const icaoCodes = "D<< GBD GBN GBO GBP GBS RKS EUE UNO UNA UNK " +
	"XBA XIM XCC XCE XCO XEC XPO XES XMP XOM XDC " +
	"XXA XXB XXC XXX ANT NTZ UTO IAO"

// nonICAOCodes are codes seen in real zones that ICAO does not issue:
// XXK (Kosovo, used by the EU), INP (an old Interpol code; ICAO's is XPO),
// WSA (World Service Authority "world passports", fantasy documents).
const nonICAOCodes = "XXK INP WSA"

// codeSet is a bitset over the 27^3 three-character strings of A-Z and <.
type codeSet [(27*27*27 + 63) / 64]uint64

func codeIndex(c string) int {
	idx := 0
	for i := 0; i < 3; i++ {
		b := c[i]
		var v int
		switch {
		case b >= 'A' && b <= 'Z':
			v = int(b - 'A')
		case b == '<':
			v = 26
		default:
			return -1
		}
		idx = idx*27 + v
	}
	return idx
}

func (s *codeSet) addAll(list string) {
	for i := 0; i+3 <= len(list); i += 4 {
		idx := codeIndex(list[i : i+3])
		s[idx/64] |= 1 << (idx % 64)
	}
}

func (s *codeSet) has(c string) bool {
	if len(c) != 3 {
		return false
	}
	idx := codeIndex(c)
	return idx >= 0 && s[idx/64]&(1<<(idx%64)) != 0
}

var validCodes, nonICAO = func() (v, n codeSet) {
	v.addAll(iso3166Codes)
	v.addAll(icaoCodes)
	n.addAll(nonICAOCodes)
	return
}()

// ValidCode tells whether code (three characters as written in the MRZ,
// e.g. "FRA", "D<<", "UTO") is valid as an issuing state or nationality.
func ValidCode(code string) bool { return validCodes.has(code) }

// ValidCodes returns every valid code as written in the MRZ (D as "D<<").
func ValidCodes() []string {
	var out []string
	for _, list := range []string{iso3166Codes, icaoCodes} {
		for i := 0; i+3 <= len(list); i += 4 {
			out = append(out, list[i:i+3])
		}
	}
	return out
}
