//! Which zones each supported country and subdivision spans, following
//! the tz database's `zone1970.tab` comments. A data table: it grows with
//! each country, past the size of a logic file.

use chrono_tz::Tz;

pub(super) struct Country {
    pub(super) code: &'static str,
    /// Every zone of the country (used when no subdivision is known).
    pub(super) zones: &'static [Tz],
    /// ISO 3166-2 codes (without the country prefix) and their zones.
    pub(super) subdivisions: &'static [(&'static str, &'static [Tz])],
}

use chrono_tz::Tz as Z;

// ---- Mexico ----------------------------------------------------------------
const MX_CENTRAL: &[Tz] = &[Z::America__Mexico_City];
pub(super) const MX_ALL: &[Tz] = &[
    Z::America__Mexico_City,
    Z::America__Cancun,
    Z::America__Merida,
    Z::America__Monterrey,
    Z::America__Matamoros,
    Z::America__Chihuahua,
    Z::America__Ciudad_Juarez,
    Z::America__Ojinaga,
    Z::America__Mazatlan,
    Z::America__Bahia_Banderas,
    Z::America__Hermosillo,
    Z::America__Tijuana,
];
const MX_NE: &[Tz] = &[Z::America__Monterrey, Z::America__Matamoros];
const MX_SUB: &[(&str, &[Tz])] = &[
    ("AGU", MX_CENTRAL),
    ("BCN", &[Z::America__Tijuana]),
    ("BCS", &[Z::America__Mazatlan]),
    ("CAM", &[Z::America__Merida]),
    ("CHP", MX_CENTRAL),
    (
        "CHH",
        &[
            Z::America__Chihuahua,
            Z::America__Ciudad_Juarez,
            Z::America__Ojinaga,
        ],
    ),
    ("CMX", MX_CENTRAL),
    ("DIF", MX_CENTRAL),
    ("COA", MX_NE),
    ("COL", MX_CENTRAL),
    ("DUR", &[Z::America__Monterrey]),
    ("GUA", MX_CENTRAL),
    ("GRO", MX_CENTRAL),
    ("HID", MX_CENTRAL),
    ("JAL", MX_CENTRAL),
    ("MEX", MX_CENTRAL),
    ("MIC", MX_CENTRAL),
    ("MOR", MX_CENTRAL),
    ("NAY", &[Z::America__Mazatlan, Z::America__Bahia_Banderas]),
    ("NLE", MX_NE),
    ("OAX", MX_CENTRAL),
    ("PUE", MX_CENTRAL),
    ("QUE", MX_CENTRAL),
    ("ROO", &[Z::America__Cancun]),
    ("SLP", MX_CENTRAL),
    ("SIN", &[Z::America__Mazatlan]),
    ("SON", &[Z::America__Hermosillo]),
    ("TAB", MX_CENTRAL),
    ("TAM", MX_NE),
    ("TLA", MX_CENTRAL),
    ("VER", MX_CENTRAL),
    ("YUC", &[Z::America__Merida]),
    ("ZAC", MX_CENTRAL),
];

// ---- Chile -----------------------------------------------------------------
const CL_MAIN: &[Tz] = &[Z::America__Santiago];
const CL_ALL: &[Tz] = &[
    Z::America__Santiago,
    Z::America__Punta_Arenas,
    Z::Pacific__Easter,
];
const CL_SUB: &[(&str, &[Tz])] = &[
    ("AI", CL_MAIN),
    ("AN", CL_MAIN),
    ("AP", CL_MAIN),
    ("AR", CL_MAIN),
    ("AT", CL_MAIN),
    ("BI", CL_MAIN),
    ("CO", CL_MAIN),
    ("LI", CL_MAIN),
    ("LL", CL_MAIN),
    ("LR", CL_MAIN),
    ("MA", &[Z::America__Punta_Arenas]),
    ("ML", CL_MAIN),
    ("NB", CL_MAIN),
    ("RM", CL_MAIN),
    ("TA", CL_MAIN),
    // Valparaíso region includes Easter Island (Rapa Nui).
    ("VS", &[Z::America__Santiago, Z::Pacific__Easter]),
];

// ---- Spain -----------------------------------------------------------------
const ES_MAIN: &[Tz] = &[Z::Europe__Madrid];
const ES_CANARY: &[Tz] = &[Z::Atlantic__Canary];
const ES_CEUTA: &[Tz] = &[Z::Africa__Ceuta];
const ES_SUB: &[(&str, &[Tz])] = &[
    // Autonomous communities.
    ("AN", ES_MAIN),
    ("AR", ES_MAIN),
    ("AS", ES_MAIN),
    ("CB", ES_MAIN),
    ("CE", ES_CEUTA),
    ("CL", ES_MAIN),
    ("CM", ES_MAIN),
    ("CN", ES_CANARY),
    ("CT", ES_MAIN),
    ("EX", ES_MAIN),
    ("GA", ES_MAIN),
    ("IB", ES_MAIN),
    ("MC", ES_MAIN),
    ("MD", ES_MAIN),
    ("ML", ES_CEUTA),
    ("NC", ES_MAIN),
    ("PV", ES_MAIN),
    ("RI", ES_MAIN),
    ("VC", ES_MAIN),
    // Provinces.
    ("A", ES_MAIN),
    ("AB", ES_MAIN),
    ("AL", ES_MAIN),
    ("AV", ES_MAIN),
    ("B", ES_MAIN),
    ("BA", ES_MAIN),
    ("BI", ES_MAIN),
    ("BU", ES_MAIN),
    ("C", ES_MAIN),
    ("CA", ES_MAIN),
    ("CC", ES_MAIN),
    ("CO", ES_MAIN),
    ("CR", ES_MAIN),
    ("CS", ES_MAIN),
    ("CU", ES_MAIN),
    ("GC", ES_CANARY),
    ("GI", ES_MAIN),
    ("GR", ES_MAIN),
    ("GU", ES_MAIN),
    ("H", ES_MAIN),
    ("HU", ES_MAIN),
    ("J", ES_MAIN),
    ("L", ES_MAIN),
    ("LE", ES_MAIN),
    ("LO", ES_MAIN),
    ("LU", ES_MAIN),
    ("M", ES_MAIN),
    ("MA", ES_MAIN),
    ("MU", ES_MAIN),
    ("NA", ES_MAIN),
    ("O", ES_MAIN),
    ("OR", ES_MAIN),
    ("P", ES_MAIN),
    ("PM", ES_MAIN),
    ("PO", ES_MAIN),
    ("S", ES_MAIN),
    ("SA", ES_MAIN),
    ("SE", ES_MAIN),
    ("SG", ES_MAIN),
    ("SO", ES_MAIN),
    ("SS", ES_MAIN),
    ("T", ES_MAIN),
    ("TE", ES_MAIN),
    ("TF", ES_CANARY),
    ("TO", ES_MAIN),
    ("V", ES_MAIN),
    ("VA", ES_MAIN),
    ("VI", ES_MAIN),
    ("Z", ES_MAIN),
    ("ZA", ES_MAIN),
];
const ES_ALL: &[Tz] = &[Z::Europe__Madrid, Z::Africa__Ceuta, Z::Atlantic__Canary];

// ---- Argentina -------------------------------------------------------------
const AR_BA: &[Tz] = &[Z::America__Argentina__Buenos_Aires];
const AR_CB: &[Tz] = &[Z::America__Argentina__Cordoba];
const AR_SA: &[Tz] = &[Z::America__Argentina__Salta];
const AR_ALL: &[Tz] = &[
    Z::America__Argentina__Buenos_Aires,
    Z::America__Argentina__Cordoba,
    Z::America__Argentina__Salta,
    Z::America__Argentina__Jujuy,
    Z::America__Argentina__Tucuman,
    Z::America__Argentina__Catamarca,
    Z::America__Argentina__La_Rioja,
    Z::America__Argentina__San_Juan,
    Z::America__Argentina__Mendoza,
    Z::America__Argentina__San_Luis,
    Z::America__Argentina__Rio_Gallegos,
    Z::America__Argentina__Ushuaia,
];
const AR_SUB: &[(&str, &[Tz])] = &[
    ("A", AR_SA),
    ("B", AR_BA),
    ("C", AR_BA),
    ("D", &[Z::America__Argentina__San_Luis]),
    ("E", AR_CB),
    ("F", &[Z::America__Argentina__La_Rioja]),
    ("G", AR_CB),
    ("H", AR_CB),
    ("J", &[Z::America__Argentina__San_Juan]),
    ("K", &[Z::America__Argentina__Catamarca]),
    ("L", AR_SA),
    ("M", &[Z::America__Argentina__Mendoza]),
    ("N", AR_CB),
    ("P", AR_CB),
    ("Q", AR_SA),
    ("R", AR_SA),
    ("S", AR_CB),
    ("T", &[Z::America__Argentina__Tucuman]),
    ("U", &[Z::America__Argentina__Catamarca]),
    ("V", &[Z::America__Argentina__Ushuaia]),
    ("W", AR_CB),
    ("X", AR_CB),
    ("Y", &[Z::America__Argentina__Jujuy]),
    ("Z", &[Z::America__Argentina__Rio_Gallegos]),
];

// ---- Brazil ----------------------------------------------------------------
const BR_SP: &[Tz] = &[Z::America__Sao_Paulo];
const BR_FOR: &[Tz] = &[Z::America__Fortaleza];
const BR_ALL: &[Tz] = &[
    Z::America__Sao_Paulo,
    Z::America__Bahia,
    Z::America__Fortaleza,
    Z::America__Recife,
    Z::America__Maceio,
    Z::America__Belem,
    Z::America__Santarem,
    Z::America__Araguaina,
    Z::America__Manaus,
    Z::America__Eirunepe,
    Z::America__Cuiaba,
    Z::America__Campo_Grande,
    Z::America__Porto_Velho,
    Z::America__Boa_Vista,
    Z::America__Rio_Branco,
    Z::America__Noronha,
];
const BR_SUB: &[(&str, &[Tz])] = &[
    ("AC", &[Z::America__Rio_Branco]),
    ("AL", &[Z::America__Maceio]),
    ("AP", &[Z::America__Belem]),
    ("AM", &[Z::America__Manaus, Z::America__Eirunepe]),
    ("BA", &[Z::America__Bahia]),
    ("CE", BR_FOR),
    ("DF", BR_SP),
    ("ES", BR_SP),
    ("GO", BR_SP),
    ("MA", BR_FOR),
    ("MT", &[Z::America__Cuiaba]),
    ("MS", &[Z::America__Campo_Grande]),
    ("MG", BR_SP),
    ("PA", &[Z::America__Belem, Z::America__Santarem]),
    ("PB", BR_FOR),
    ("PR", BR_SP),
    ("PE", &[Z::America__Recife, Z::America__Noronha]),
    ("PI", BR_FOR),
    ("RJ", BR_SP),
    ("RN", BR_FOR),
    ("RS", BR_SP),
    ("RO", &[Z::America__Porto_Velho]),
    ("RR", &[Z::America__Boa_Vista]),
    ("SC", BR_SP),
    ("SP", BR_SP),
    ("SE", &[Z::America__Maceio]),
    ("TO", &[Z::America__Araguaina]),
];

// ---- United States ---------------------------------------------------------
const US_E: &[Tz] = &[Z::America__New_York];
const US_C: &[Tz] = &[Z::America__Chicago];
const US_M: &[Tz] = &[Z::America__Denver];
const US_P: &[Tz] = &[Z::America__Los_Angeles];
const US_CM: &[Tz] = &[Z::America__Chicago, Z::America__Denver];
/// The 50 states and DC (territories have their own ISO codes).
const US_ALL: &[Tz] = &[
    Z::America__New_York,
    Z::America__Detroit,
    Z::America__Kentucky__Louisville,
    Z::America__Kentucky__Monticello,
    Z::America__Indiana__Indianapolis,
    Z::America__Indiana__Vincennes,
    Z::America__Indiana__Winamac,
    Z::America__Indiana__Marengo,
    Z::America__Indiana__Petersburg,
    Z::America__Indiana__Vevay,
    Z::America__Chicago,
    Z::America__Indiana__Tell_City,
    Z::America__Indiana__Knox,
    Z::America__Menominee,
    Z::America__North_Dakota__Center,
    Z::America__North_Dakota__New_Salem,
    Z::America__North_Dakota__Beulah,
    Z::America__Denver,
    Z::America__Boise,
    Z::America__Phoenix,
    Z::America__Los_Angeles,
    Z::America__Anchorage,
    Z::America__Juneau,
    Z::America__Sitka,
    Z::America__Metlakatla,
    Z::America__Yakutat,
    Z::America__Nome,
    Z::America__Adak,
    Z::Pacific__Honolulu,
];
const US_SUB: &[(&str, &[Tz])] = &[
    ("AL", US_C),
    (
        "AK",
        &[
            Z::America__Anchorage,
            Z::America__Juneau,
            Z::America__Sitka,
            Z::America__Metlakatla,
            Z::America__Yakutat,
            Z::America__Nome,
            Z::America__Adak,
        ],
    ),
    // Most of Arizona keeps standard time; the Navajo Nation observes DST.
    ("AZ", &[Z::America__Phoenix, Z::America__Denver]),
    ("AR", US_C),
    ("CA", US_P),
    ("CO", US_M),
    ("CT", US_E),
    ("DE", US_E),
    ("DC", US_E),
    ("FL", &[Z::America__New_York, Z::America__Chicago]),
    ("GA", US_E),
    ("HI", &[Z::Pacific__Honolulu]),
    ("ID", &[Z::America__Boise, Z::America__Los_Angeles]),
    ("IL", US_C),
    (
        "IN",
        &[
            Z::America__Indiana__Indianapolis,
            Z::America__Indiana__Vincennes,
            Z::America__Indiana__Winamac,
            Z::America__Indiana__Marengo,
            Z::America__Indiana__Petersburg,
            Z::America__Indiana__Vevay,
            Z::America__Indiana__Tell_City,
            Z::America__Indiana__Knox,
            Z::America__Chicago,
        ],
    ),
    ("IA", US_C),
    ("KS", US_CM),
    (
        "KY",
        &[
            Z::America__New_York,
            Z::America__Kentucky__Louisville,
            Z::America__Kentucky__Monticello,
            Z::America__Chicago,
        ],
    ),
    ("LA", US_C),
    ("ME", US_E),
    ("MD", US_E),
    ("MA", US_E),
    ("MI", &[Z::America__Detroit, Z::America__Menominee]),
    ("MN", US_C),
    ("MS", US_C),
    ("MO", US_C),
    ("MT", US_M),
    ("NE", US_CM),
    ("NV", US_P),
    ("NH", US_E),
    ("NJ", US_E),
    ("NM", US_M),
    ("NY", US_E),
    ("NC", US_E),
    (
        "ND",
        &[
            Z::America__Chicago,
            Z::America__North_Dakota__Center,
            Z::America__North_Dakota__New_Salem,
            Z::America__North_Dakota__Beulah,
            Z::America__Denver,
        ],
    ),
    ("OH", US_E),
    ("OK", US_C),
    ("OR", &[Z::America__Los_Angeles, Z::America__Boise]),
    ("PA", US_E),
    ("RI", US_E),
    ("SC", US_E),
    ("SD", US_CM),
    ("TN", &[Z::America__Chicago, Z::America__New_York]),
    ("TX", US_CM),
    ("UT", US_M),
    ("VT", US_E),
    ("VA", US_E),
    ("WA", US_P),
    ("WV", US_E),
    ("WI", US_C),
    ("WY", US_M),
    ("PR", &[Z::America__Puerto_Rico]),
    ("VI", &[Z::America__St_Thomas]),
    ("GU", &[Z::Pacific__Guam]),
    ("MP", &[Z::Pacific__Saipan]),
    ("AS", &[Z::Pacific__Pago_Pago]),
];

// ---- Ecuador ---------------------------------------------------------------
const EC_ALL: &[Tz] = &[Z::America__Guayaquil, Z::Pacific__Galapagos];
const EC_MAIN: &[Tz] = &[Z::America__Guayaquil];
const EC_SUB: &[(&str, &[Tz])] = &[
    ("A", EC_MAIN),
    ("B", EC_MAIN),
    ("C", EC_MAIN),
    ("D", EC_MAIN),
    ("E", EC_MAIN),
    ("F", EC_MAIN),
    ("G", EC_MAIN),
    ("H", EC_MAIN),
    ("I", EC_MAIN),
    ("L", EC_MAIN),
    ("M", EC_MAIN),
    ("N", EC_MAIN),
    ("O", EC_MAIN),
    ("P", EC_MAIN),
    ("R", EC_MAIN),
    ("S", EC_MAIN),
    ("SD", EC_MAIN),
    ("SE", EC_MAIN),
    ("T", EC_MAIN),
    ("U", EC_MAIN),
    ("W", &[Z::Pacific__Galapagos]),
    ("X", EC_MAIN),
    ("Y", EC_MAIN),
    ("Z", EC_MAIN),
];

const fn single(code: &'static str, zones: &'static [Tz]) -> Country {
    Country {
        code,
        zones,
        subdivisions: &[],
    }
}

pub(super) static COUNTRIES: &[Country] = &[
    Country {
        code: "MX",
        zones: MX_ALL,
        subdivisions: MX_SUB,
    },
    single("CO", &[Z::America__Bogota]),
    Country {
        code: "CL",
        zones: CL_ALL,
        subdivisions: CL_SUB,
    },
    single("PE", &[Z::America__Lima]),
    Country {
        code: "US",
        zones: US_ALL,
        subdivisions: US_SUB,
    },
    Country {
        code: "ES",
        zones: ES_ALL,
        subdivisions: ES_SUB,
    },
    Country {
        code: "AR",
        zones: AR_ALL,
        subdivisions: AR_SUB,
    },
    Country {
        code: "BR",
        zones: BR_ALL,
        subdivisions: BR_SUB,
    },
    Country {
        code: "EC",
        zones: EC_ALL,
        subdivisions: EC_SUB,
    },
    single("GT", &[Z::America__Guatemala]),
    single("SV", &[Z::America__El_Salvador]),
    single("HN", &[Z::America__Tegucigalpa]),
    single("NI", &[Z::America__Managua]),
    single("CR", &[Z::America__Costa_Rica]),
    single("PA", &[Z::America__Panama]),
    single("DO", &[Z::America__Santo_Domingo]),
    single("PR", &[Z::America__Puerto_Rico]),
    single("UY", &[Z::America__Montevideo]),
    single("PY", &[Z::America__Asuncion]),
    single("BO", &[Z::America__La_Paz]),
    single("VE", &[Z::America__Caracas]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mexico_has_32_states() {
        // DIF is the pre-2016 code of Mexico City, kept as an alias.
        assert_eq!(MX_SUB.iter().filter(|(c, _)| *c != "DIF").count(), 32);
    }

    #[test]
    fn us_has_50_states_and_dc() {
        let territories = ["PR", "VI", "GU", "MP", "AS"];
        let n = US_SUB
            .iter()
            .filter(|(c, _)| !territories.contains(c))
            .count();
        assert_eq!(n, 51);
        for (code, zones) in US_SUB {
            if territories.contains(code) {
                continue;
            }
            for z in *zones {
                assert!(US_ALL.contains(z), "{code}: {z} not in US_ALL");
            }
        }
    }
}
