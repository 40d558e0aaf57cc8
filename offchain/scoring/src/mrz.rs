//! Machine-readable zones (ICAO Doc 9303): finding them among OCR'd lines, parsing TD1 (ID
//! cards, 3 × 30) and TD3 (passports, 2 × 44), and every check digit.
//!
//! Dates are interpreted against a reference date passed in (the block's timestamp in the
//! pipeline), never the local clock, so every validator reads them alike.

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
	/// Year, e.g. 1974.
	pub year: u16,
	/// Month 1-12.
	pub month: u8,
	/// Day 1-31.
	pub day: u8,
}

impl Date {
	/// A date, if it exists in the proleptic Gregorian calendar.
	pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
		let leap =
			(year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
		let days = match month {
			1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
			4 | 6 | 9 | 11 => 30,
			2 if leap => 29,
			2 => 28,
			_ => return None,
		};
		(day >= 1 && day <= days).then_some(Date { year, month, day })
	}

	/// The date `days` days after the Unix epoch (for block timestamps).
	pub fn from_unix_days(days: u64) -> Date {
		// Howard Hinnant's civil-from-days algorithm, in unsigned arithmetic from 1970 on.
		let z = days + 719_468;
		let era = z / 146_097;
		let doe = z - era * 146_097;
		let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
		let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		let mp = (5 * doy + 2) / 153;
		let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
		let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
		let year = (yoe + era * 400 + u64::from(month <= 2)) as u16;
		Date { year, month, day }
	}

	/// Whole years from `self` to `later` (an age).
	pub fn years_until(&self, later: &Date) -> i32 {
		let mut years = i32::from(later.year) - i32::from(self.year);
		if (later.month, later.day) < (self.month, self.day) {
			years -= 1;
		}
		years
	}
}

/// Which MRZ layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
	/// ID-1 cards: three lines of 30.
	Td1,
	/// Passports: two lines of 44.
	Td3,
}

/// A check digit of the MRZ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckField {
	/// The document number.
	DocumentNumber,
	/// The date of birth.
	BirthDate,
	/// The date of expiry.
	ExpiryDate,
	/// The personal number (TD3 only).
	PersonalNumber,
	/// The composite check over the others.
	Composite,
}

/// A parsed MRZ. Fields are as printed (fillers `<` removed, name parts separated by spaces).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mrz {
	/// TD1 or TD3.
	pub format: Format,
	/// Document code, e.g. `P` or `I`.
	pub document_code: String,
	/// Issuing state (ICAO 3-letter code).
	pub issuing_state: String,
	/// Document number.
	pub document_number: String,
	/// Nationality.
	pub nationality: String,
	/// Date of birth, if the field is a valid date.
	pub birth_date: Option<Date>,
	/// `M`, `F` or `X` (`<` read as `X`).
	pub sex: char,
	/// Date of expiry, if valid.
	pub expiry_date: Option<Date>,
	/// Primary identifier.
	pub surname: String,
	/// Secondary identifier, words separated by single spaces.
	pub given_names: String,
	/// The check digits that do not match.
	pub failed_checks: Vec<CheckField>,
}

impl Mrz {
	/// Whether every check digit matches.
	pub fn checks_pass(&self) -> bool {
		self.failed_checks.is_empty()
	}
}

/// The ICAO 9303 check digit of a field: weights 7, 3, 1; digits their value, letters 10-35,
/// the filler 0. `None` for a character that cannot appear in an MRZ.
pub fn check_digit(field: &str) -> Option<u8> {
	let mut sum: u32 = 0;
	for (i, c) in field.bytes().enumerate() {
		let v = match c {
			b'0'..=b'9' => u32::from(c - b'0'),
			b'A'..=b'Z' => u32::from(c - b'A') + 10,
			b'<' => 0,
			_ => return None,
		};
		sum += v * [7, 3, 1][i % 3];
	}
	Some((sum % 10) as u8)
}

fn check(field: &str, digit: u8) -> bool {
	// An empty optional field may carry `<` as its check digit.
	let digit = if digit == b'<' && field.bytes().all(|b| b == b'<') { b'0' } else { digit };
	check_digit(field) == Some(digit.wrapping_sub(b'0'))
}

/// Undoes the usual OCR confusions in a field that must be numeric.
fn numeric(field: &str) -> String {
	field
		.chars()
		.map(|c| match c {
			'O' | 'Q' | 'D' => '0',
			'I' | 'L' => '1',
			'Z' => '2',
			'S' => '5',
			'G' => '6',
			'B' => '8',
			c => c,
		})
		.collect()
}

fn date(field: &str, birth: bool, today: &Date) -> Option<Date> {
	if field.len() != 6 || !field.bytes().all(|b| b.is_ascii_digit()) {
		return None;
	}
	let n = |r: std::ops::Range<usize>| field[r].parse::<u16>().ok();
	let (yy, month, day) = (n(0..2)?, n(2..4)? as u8, n(4..6)? as u8);
	let this_century = today.year / 100 * 100;
	let mut year = this_century + yy;
	if birth {
		// A birth date is never in the future.
		if Date::new(year, month, day)? > *today {
			year -= 100;
		}
	} else if year > today.year + 50 {
		year -= 100;
	}
	Date::new(year, month, day)
}

/// Undoes digit-for-letter confusions in a field that must be alphabetic (states, names).
fn alphabetic(field: &str) -> String {
	field
		.chars()
		.map(|c| match c {
			'0' => 'O',
			'1' => 'I',
			'2' => 'Z',
			'5' => 'S',
			'6' => 'G',
			'8' => 'B',
			c => c,
		})
		.collect()
}

fn clean(field: &str) -> String {
	field.trim_end_matches('<').replace('<', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn names(field: &str) -> (String, String) {
	let field = field.trim_end_matches('<');
	match field.split_once("<<") {
		Some((surname, given)) => (clean(surname), clean(given)),
		None => (clean(field), String::new()),
	}
}

fn sex(c: u8) -> char {
	match c {
		b'M' | b'F' => c as char,
		_ => 'X',
	}
}

/// One OCR'd character as the MRZ character it looks like: full-width forms (the PP-OCR
/// dictionary has them) folded to ASCII, Cyrillic and Greek capitals that are drawn like Latin
/// ones mapped to those, the filler's look-alikes to `<`, lower case to upper.
pub fn fold_char(c: char) -> char {
	let c = match u32::from(c) {
		// Full-width ASCII block.
		code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
		_ => c,
	};
	match c {
		'«' | '‹' | '(' | '[' | '{' | 'く' | '＜' | '〈' => '<',
		'∪' | 'υ' | 'Ц' => 'U',
		'×' | 'Х' | 'х' | 'Χ' | 'χ' => 'X',
		'А' | 'а' | 'Α' | 'α' => 'A',
		'В' | 'в' | 'Β' | 'β' => 'B',
		'Е' | 'е' | 'Ε' => 'E',
		'К' | 'к' | 'Κ' | 'κ' => 'K',
		'М' | 'м' | 'Μ' => 'M',
		'Н' | 'н' | 'Η' => 'H',
		'О' | 'о' | 'Ο' | 'ο' | '〇' => 'O',
		'Р' | 'р' | 'Ρ' | 'ρ' => 'P',
		'С' | 'с' => 'C',
		'Т' | 'т' | 'Τ' | 'τ' => 'T',
		'У' | 'у' | 'Υ' => 'Y',
		'І' | 'і' | 'Ι' | 'ι' => 'I',
		'Ν' => 'N',
		'Ζ' => 'Z',
		c => c.to_ascii_uppercase(),
	}
}

/// Normalises one OCR'd line to MRZ characters (see `fold_char`), spaces removed. `None` if a
/// character remains that an MRZ cannot contain.
pub fn normalise_line(line: &str) -> Option<String> {
	let out: String = line.chars().filter(|c| !c.is_whitespace()).map(fold_char).collect();
	out.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<').then_some(out)
}

/// Parses a TD3 MRZ (two lines of 44).
pub fn parse_td3(l1: &str, l2: &str, today: &Date) -> Option<Mrz> {
	if l1.len() != 44 || l2.len() != 44 || !l1.starts_with('P') || !l1.is_ascii() || !l2.is_ascii()
	{
		return None;
	}
	let l2n = format!(
		"{}{}{}{}{}{}{}",
		&l2[0..10],
		&l2[10..13],
		numeric(&l2[13..20]),
		&l2[20..21],
		numeric(&l2[21..28]),
		&l2[28..43],
		numeric(&l2[43..44])
	);
	let l2 = l2n.as_str();
	let b = l2.as_bytes();
	let mut failed = Vec::new();
	let mut want = |ok: bool, field| {
		if !ok {
			failed.push(field);
		}
	};
	want(check(&l2[0..9], b[9]), CheckField::DocumentNumber);
	want(check(&l2[13..19], b[19]), CheckField::BirthDate);
	want(check(&l2[21..27], b[27]), CheckField::ExpiryDate);
	want(check(&l2[28..42], b[42]), CheckField::PersonalNumber);
	let composite = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..43]);
	want(check(&composite, b[43]), CheckField::Composite);
	let (surname, given_names) = names(&alphabetic(&l1[5..44]));
	Some(Mrz {
		format: Format::Td3,
		document_code: clean(&l1[0..2]),
		issuing_state: clean(&alphabetic(&l1[2..5])),
		document_number: clean(&l2[0..9]),
		nationality: clean(&alphabetic(&l2[10..13])),
		birth_date: date(&l2[13..19], true, today),
		sex: sex(b[20]),
		expiry_date: date(&l2[21..27], false, today),
		surname,
		given_names,
		failed_checks: failed,
	})
}

/// Parses a TD1 MRZ (three lines of 30), including long document numbers that continue in the
/// optional data (ICAO 9303-5, 4.2.4).
pub fn parse_td1(l1: &str, l2: &str, l3: &str, today: &Date) -> Option<Mrz> {
	if l1.len() != 30
		|| l2.len() != 30
		|| l3.len() != 30
		|| ![l1, l2, l3].iter().all(|l| l.is_ascii())
	{
		return None;
	}
	let l2n = format!(
		"{}{}{}{}{}{}",
		numeric(&l2[0..7]),
		&l2[7..8],
		numeric(&l2[8..15]),
		&l2[15..18],
		&l2[18..29],
		numeric(&l2[29..30])
	);
	let l2 = l2n.as_str();
	let (b1, b2) = (l1.as_bytes(), l2.as_bytes());
	let mut failed = Vec::new();
	let mut want = |ok: bool, field| {
		if !ok {
			failed.push(field);
		}
	};
	let document_number = if b1[14] == b'<' && b1[15] != b'<' {
		// Long number: the rest is in the optional data, its check digit last before a filler.
		let rest = l1[15..30].trim_end_matches('<');
		let (more, digit) = rest.split_at(rest.len().saturating_sub(1));
		let number = format!("{}{}", &l1[5..14], more);
		want(check(&number, digit.bytes().next().unwrap_or(b'<')), CheckField::DocumentNumber);
		number
	} else {
		want(check(&l1[5..14], b1[14]), CheckField::DocumentNumber);
		clean(&l1[5..14])
	};
	want(check(&l2[0..6], b2[6]), CheckField::BirthDate);
	want(check(&l2[8..14], b2[14]), CheckField::ExpiryDate);
	let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
	want(check(&composite, b2[29]), CheckField::Composite);
	let (surname, given_names) = names(&alphabetic(l3));
	Some(Mrz {
		format: Format::Td1,
		document_code: clean(&l1[0..2]),
		issuing_state: clean(&alphabetic(&l1[2..5])),
		document_number,
		nationality: clean(&alphabetic(&l2[15..18])),
		birth_date: date(&l2[0..6], true, today),
		sex: sex(b2[7]),
		expiry_date: date(&l2[8..14], false, today),
		surname,
		given_names,
		failed_checks: failed,
	})
}

/// Whether a character is in the MRZ alphabet (A-Z, 0-9, `<`).
pub fn is_mrz_char(c: char) -> bool {
	c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<'
}

/// Finds an MRZ among OCR'd text lines (in reading order): the last run of two 44-character or
/// three 30-character MRZ lines. Lines one character short or long are not repaired.
pub fn find(lines: &[String], today: &Date) -> Option<Mrz> {
	let norm: Vec<Option<String>> = lines.iter().map(|l| normalise_line(l)).collect();
	let len = |i: usize| norm.get(i).and_then(|l| l.as_ref()).map(String::len);
	for i in (0..norm.len()).rev() {
		if i >= 1 && len(i - 1) == Some(44) && len(i) == Some(44) {
			let (a, b) = (norm[i - 1].as_deref()?, norm[i].as_deref()?);
			if let Some(m) = parse_td3(a, b, today) {
				return Some(m);
			}
		}
		if i >= 2 && len(i - 2) == Some(30) && len(i - 1) == Some(30) && len(i) == Some(30) {
			let (a, b, c) = (norm[i - 2].as_deref()?, norm[i - 1].as_deref()?, norm[i].as_deref()?);
			if let Some(m) = parse_td1(a, b, c, today) {
				return Some(m);
			}
		}
	}
	None
}

#[cfg(test)]
mod tests {
	use super::*;

	const TODAY: Date = Date { year: 2026, month: 11, day: 21 };

	#[test]
	fn check_digits_of_the_icao_specimens() {
		assert_eq!(check_digit("L898902C3"), Some(6));
		assert_eq!(check_digit("740812"), Some(2));
		assert_eq!(check_digit("120415"), Some(9));
		assert_eq!(check_digit("ZE184226B<<<<<"), Some(1));
		assert_eq!(check_digit("D23145890"), Some(7));
		assert_eq!(check_digit("abc"), None);
	}

	#[test]
	fn icao_td3_specimen() {
		let m = parse_td3(
			"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
			"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
			&TODAY,
		)
		.expect("parses");
		assert!(m.checks_pass(), "{:?}", m.failed_checks);
		assert_eq!(m.format, Format::Td3);
		assert_eq!(m.document_code, "P");
		assert_eq!(m.issuing_state, "UTO");
		assert_eq!(m.document_number, "L898902C3");
		assert_eq!((m.surname.as_str(), m.given_names.as_str()), ("ERIKSSON", "ANNA MARIA"));
		assert_eq!(m.birth_date, Date::new(1974, 8, 12));
		assert_eq!(m.expiry_date, Date::new(2012, 4, 15));
		assert_eq!(m.sex, 'F');
	}

	#[test]
	fn icao_td1_specimen() {
		let m = parse_td1(
			"I<UTOD231458907<<<<<<<<<<<<<<<",
			"7408122F1204159UTO<<<<<<<<<<<6",
			"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
			&TODAY,
		)
		.expect("parses");
		assert!(m.checks_pass(), "{:?}", m.failed_checks);
		assert_eq!(m.document_number, "D23145890");
		assert_eq!(m.nationality, "UTO");
		assert_eq!(m.birth_date, Date::new(1974, 8, 12));
		assert_eq!(m.given_names, "ANNA MARIA");
	}

	#[test]
	fn each_wrong_digit_is_named() {
		let l1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
		let good = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
		for (pos, field) in [
			(9, CheckField::DocumentNumber),
			(19, CheckField::BirthDate),
			(27, CheckField::ExpiryDate),
			(42, CheckField::PersonalNumber),
		] {
			let mut l2 = good.as_bytes().to_vec();
			l2[pos] = if l2[pos] == b'3' { b'4' } else { b'3' };
			let m =
				parse_td3(l1, std::str::from_utf8(&l2).expect("ascii"), &TODAY).expect("parses");
			// The composite covers the other check digits too.
			assert_eq!(m.failed_checks, vec![field, CheckField::Composite], "digit at {pos}");
		}
		// A changed data character breaks its own check and the composite.
		let mut l2 = good.as_bytes().to_vec();
		l2[3] = b'7';
		let m = parse_td3(l1, std::str::from_utf8(&l2).expect("ascii"), &TODAY).expect("parses");
		assert_eq!(m.failed_checks, vec![CheckField::DocumentNumber, CheckField::Composite]);
	}

	#[test]
	fn ocr_confusions_in_numeric_fields_are_undone() {
		// O for 0 and I for 1 in the dates; « for the filler; spaces inside.
		let lines = vec![
			"REPUBLIC OF UTOPIA".to_string(),
			"I<UTOD231458907<<<<<<<<<<<<<<<".to_string(),
			"74O8122F12O4I59UTO«<<<<<<<<<<6".to_string(),
			"ERIKSSON<<ANNA<MARIA <<<<<<<<<<".to_string(),
		];
		let m = find(&lines, &TODAY).expect("found");
		assert!(m.checks_pass(), "{:?}", m.failed_checks);
		assert_eq!(m.expiry_date, Date::new(2012, 4, 15));
	}

	#[test]
	fn full_width_and_look_alike_characters_from_ocr() {
		// What PP-OCRv5 read on a synthetic card (full-width Latin, Cyrillic в, ∪, ×, a 0 for O).
		let lines = vec![
			"Ｉ < ∪ Ｔ Ｏ × ４ Ｒ Ｔ в Ｐ Ｆ W ４ 6 < < < < < < < < < < < < < < <".to_string(),
			"９ 00 3 1 4 1 Ｆ 3 1 ０6 3 0 5 ＵＴ0 < < < < < < < < < < < 8".to_string(),
			"ＭＡＲ ＴＩ Ｎ<<Ａ Ｎ ＮＡ < ＭＡＲ ＩA <<<<<<<<<<<<".to_string(),
		];
		let m = find(&lines, &TODAY).expect("found");
		assert!(m.checks_pass(), "{:?}", m.failed_checks);
		assert_eq!(m.document_number, "X4RTBPFW4");
		assert_eq!(m.nationality, "UTO");
		assert_eq!((m.surname.as_str(), m.given_names.as_str()), ("MARTIN", "ANNA MARIA"));
	}

	#[test]
	fn long_td1_document_number() {
		// ICAO 9303-5's example of a number longer than 9 characters.
		let m = parse_td1(
			"I<UTOD23145890<7349<<<<<<<<<<<",
			"3407127M9507122UTO<<<<<<<<<<<2",
			"STEVENSON<<PETER<JOHN<<<<<<<<<",
			&TODAY,
		)
		.expect("parses");
		assert_eq!(m.document_number, "D23145890734");
		assert!(!m.failed_checks.contains(&CheckField::DocumentNumber), "{:?}", m.failed_checks);
	}

	#[test]
	fn dates_against_the_reference_day() {
		assert_eq!(date("991231", true, &TODAY), Date::new(1999, 12, 31));
		assert_eq!(date("081130", true, &TODAY), Date::new(2008, 11, 30));
		assert_eq!(
			date("261122", true, &TODAY),
			Date::new(1926, 11, 22),
			"tomorrow is not a birth date"
		);
		assert_eq!(date("351231", false, &TODAY), Date::new(2035, 12, 31));
		assert_eq!(date("991231", false, &TODAY), Date::new(1999, 12, 31));
		assert_eq!(date("990230", false, &TODAY), None);
		assert_eq!(Date::from_unix_days(0), Date { year: 1970, month: 1, day: 1 });
		assert_eq!(Date::from_unix_days(20_413), Date { year: 2025, month: 11, day: 21 });
		assert_eq!(Date::from_unix_days(11_016), Date { year: 2000, month: 2, day: 29 });
		let birth = Date { year: 2008, month: 11, day: 22 };
		assert_eq!(birth.years_until(&TODAY), 17);
		assert_eq!(Date { year: 2008, month: 11, day: 21 }.years_until(&TODAY), 18);
	}

	#[test]
	fn garbage_is_not_an_mrz() {
		assert_eq!(find(&["hello".into(), "x".repeat(44), "y".repeat(44)], &TODAY), None);
		assert_eq!(parse_td3("short", "short", &TODAY), None);
		assert_eq!(find(&[], &TODAY), None);
	}
}

#[cfg(test)]
mod robustness {
	use super::*;
	use proptest::prelude::*;

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(512))]
		/// Any OCR output, however garbled, parses or is refused; it never panics.
		#[test]
		fn arbitrary_lines_never_panic(lines in proptest::collection::vec("[A-Z0-9<«ＡＯ０ а-я ]{0,50}", 0..6)) {
			let today = Date { year: 2026, month: 11, day: 21 };
			let _ = find(&lines, &today);
		}

		/// Lines of exactly MRZ lengths parse without panicking, whatever their characters
		/// (multi-byte ones included).
		#[test]
		fn non_ascii_lines_of_mrz_byte_length_are_refused(a in "[A-Zé<]{22,44}", b in "[0-9ü<]{22,44}") {
			let today = Date { year: 2026, month: 11, day: 21 };
			let pad = |s: &str, n: usize| { let mut s = s.to_string(); while s.len() < n { s.push('<'); } s };
			let (a, b) = (pad(&format!("P{a}"), 44), pad(&b, 44));
			let _ = parse_td3(&a, &b, &today);
			let (c, d) = (pad(&a[..a.char_indices().nth(20).map(|(i, _)| i).unwrap_or(0)], 30), pad("x", 30));
			let _ = parse_td1(&c, &d, &d, &today);
		}

		/// Lines of exactly MRZ lengths made of MRZ characters parse without panicking.
		#[test]
		fn mrz_shaped_lines_never_panic(a in "[A-Z0-9<]{44}", b in "[A-Z0-9<]{44}", c in "[A-Z0-9<]{30}", d in "[A-Z0-9<]{30}", e in "[A-Z0-9<]{30}") {
			let today = Date { year: 2026, month: 11, day: 21 };
			let _ = parse_td3(&format!("P{}", &a[1..]), &b, &today);
			let _ = parse_td1(&c, &d, &e, &today);
		}
	}
}
