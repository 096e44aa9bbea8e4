"""Every evasion of REFERENCE §3 is seen through: one row per trick (and per form of it).

The messages are built by tests/evasions/make_corpus.py (committed output; the script is
not run here). A row says what proves the trick was undone, not only that the message was
flagged:

* `seen`: (rule, clean text): the rule fired, its evidence holds the clean text, and the
  raw file does not (the words were disguised, encoded or moved, so the engine had to
  undo the trick to read them);
* `address`: the wallet was found, checksum-valid, where the trick put it (`where`: body,
  attachment or qr), re-joined from pieces when `joined`; when the trick hid it, the raw
  file does not hold it either;
* `fired`: further rules the trick must trigger (hidden text, From = To, no address...).

Every extortion row is also flagged and fires no ham guard (negative score). Rows with a
`gap` document a trick that is NOT handled yet: they are strict xfails, so fixing the gap
turns them into failures until the mark is removed. `open` rows are extortion the shipped
rules accept; their files live in tests/evasions/open/ so the corpus test stays green.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from extortion_milter.engine.engine import Engine
from extortion_milter.engine.qr import decode_qr_texts
from extortion_milter.engine.types import Action

from .conftest import CORPUS

OPEN = Path(__file__).resolve().parent / "evasions" / "open"

# Families of legitimate-mail context: junk words must never make them fire.
CONTEXT_FAMILIES = frozenset(
    {"report_context", "advice", "forward_context", "transactional", "newsletter"}
)

WEBCAM_SEEN = (
    ("EN_RECORDING_CAMERA", "webcam"),
    ("EN_PAY_CRYPTO", "bitcoin"),
    ("EN_THREAT_SEND_CONTACTS", "contacts"),
)
PASSWORD_SEEN = (
    ("EN_RECORDING_CAMERA", "camera"),
    ("EN_PAY_CRYPTO", "bitcoin"),
    ("EN_THREAT_SEND_CONTACTS", "family"),
)

# Where the engine falls short, said precisely (file, function) for whoever fixes it.


@dataclass(frozen=True)
class Evasion:
    file: str
    trick: str
    seen: tuple[tuple[str, str], ...] = ()
    address: str = ""  # "" means the message carries no address at all
    where: str = "body"
    joined: bool = False
    address_hidden: bool = True  # the raw file does not contain the address as one string
    fired: tuple[str, ...] = ()
    gap: str = ""
    open: bool = False  # accepted today: the file lives in tests/evasions/open/

    @property
    def path(self) -> Path:
        return (OPEN if self.open else CORPUS / "extortion") / self.file


EVASIONS = [
    # --- Unicode -------------------------------------------------------------------------
    Evasion(
        "en-evasion-homoglyph-001.eml",
        "Cyrillic look-alikes inside Latin words and inside the address (QP)",
        (*WEBCAM_SEEN, ("EN_RECORDING_ADULT", "adult website")),
        "bc1qs682lh606c5smutv8tp0t70y9l4hztwlqtvufv",
    ),
    Evasion(
        "en-evasion-homoglyph-002.eml",
        "Greek look-alikes (omicron, iota, alpha, nu, rho) inside Latin words, 8bit UTF-8",
        (
            ("EN_RECORDING_CAMERA", "webcam"),
            ("EN_MALWARE_ACCESS", "hacked"),
            ("EN_PAY_CRYPTO", "bitcoin"),
            ("EN_THREAT_SEND_CONTACTS", "contacts"),
        ),
        "bc1p9z2t5uugx74y4na2lpuhath8sgsa4d6lx5cchyp2cwg5rqgsgxus867w0l",
        address_hidden=False,
    ),
    Evasion(
        "en-evasion-homoglyph-003.eml",
        "words made only of look-alikes ('ВТС', 'рау'), legacy address with Cyrillic capitals",
        (("MONEY_AMOUNT", "0.03 BTC"), ("EN_RECORDING_ADULT", "porn")),
        "19nDEM2DJZx838tRFGGckiAGgvVPJtSD1C",
    ),
    Evasion(
        "en-evasion-zerowidth-001.eml",
        "zero-width space/non-joiner/joiner, word joiner, BOM inside words and the address",
        WEBCAM_SEEN,
        "bc1qalzlzdqm4wxzrdvuqjctx5f8zqnv0nsa3frkc9",
    ),
    Evasion(
        "en-evasion-zerowidth-002.eml",
        "soft hyphens, grapheme joiners, vowel separators inside words and an ETH address",
        (
            ("EN_RECORDING_CAMERA", "webcam"),
            ("EN_PAY_CRYPTO", "ethereum"),
            ("EN_THREAT_SEND_CONTACTS", "contacts"),
        ),
        "0x888DbDDe7c4Dda1f4C6502dB5868e6963dd36364",
    ),
    Evasion(
        "en-evasion-combining-001.eml",
        "strike-through and overlay combining marks on every letter and digit",
        WEBCAM_SEEN,
        "bc1q6jr99qwjp8g9rh7y4m0alf6g5sekpjmf75vg6s",
    ),
    Evasion(
        "en-evasion-combining-002.eml",
        "accents composed onto English vowels ('bítcöin', 'wèbcam')",
        WEBCAM_SEEN,
        "bc1q6h9txuywjqagw0390rm3k5kzng7vnwsv2jthhr",
        address_hidden=False,
    ),
    Evasion(
        "en-evasion-fullwidth-001.eml",
        "fullwidth letters and a fullwidth address",
        WEBCAM_SEEN,
        "bc1qdkdzf8h79pe4gg4rcqglg77mpnzl5jlm6x30gc",
    ),
    Evasion(
        "en-evasion-mathletters-001.eml",
        "mathematical bold/script/fraktur/sans/monospace/double-struck letters and digits",
        WEBCAM_SEEN,
        "bc1q0j0qxhv9lvc8kv9ql75pmfz8chljs0kx5j4gks",
    ),
    Evasion(
        "en-evasion-smallcaps-001.eml",
        "Latin small capitals ('ʙɪᴛᴄᴏɪɴ', 'ᴡᴇʙᴄᴀᴍ')",
        WEBCAM_SEEN,
        "bc1q88lkuc88uu0l32s6ehdkslccf7w7a5sjv36cu5",
        address_hidden=False,
    ),
    Evasion(
        "en-evasion-leet-001.eml",
        "leetspeak in the payment words ('b17c01n', 'w4ll37', '7r4n5f3r')",
        (("EN_PAY_CRYPTO", "transfer $1250 in bitcoin"),),
        "bc1qeg0jnuqqxstawz0w530436cskt7u6uaxfj4zy0",
        address_hidden=False,
    ),
    Evasion(
        "en-evasion-leet-002.eml",
        "leetspeak in the story words ('p0rn', 'w3bc4m', 'c0n74c75', 'r3c0rd3d')",
        # EN_RECORDING_ADULT cannot prove 'p0rn' was folded: the letter also says
        # "satisfying yourself" in plain text, so the atom fires (with that evidence) in the
        # unfolded pass and the leet pass skips it. 'r3c0rd3d' is proved instead.
        (
            ("EN_RECORDING_CAMERA", "webcam"),
            ("EN_THREAT_SEND_CONTACTS", "contacts"),
            ("EN_RECORDING_OF_YOU", "recorded you"),
        ),
        "bc1qahr32s4jylhjx0full8fn5vk068yeu7z3axgfy",
        address_hidden=False,
    ),
    # --- HTML ----------------------------------------------------------------------------
    Evasion(
        "en-evasion-htmlsplit-001.eml",
        "words split across inline tags (bit<span>co</span>in), address across spans",
        WEBCAM_SEEN,
        "bc1q7lmh9kfqltc59j7p0aykervrs63hzmgk0whw2p",
    ),
    Evasion(
        "en-evasion-htmlcomment-001.eml",
        "words and address split by comments (web<!-- x -->cam), junk inside comments",
        WEBCAM_SEEN,
        "bc1qctq7uheqydv8tj8dtgngz9ldf5kv64tfyfvhyk",
    ),
    Evasion(
        "en-evasion-hidden-001.eml",
        "report/advice/receipt junk in display:none blocks",
        address="bc1qpf4hswq38p6vwwnjgr9z4l4f2ekazr2quuwsrn",
        address_hidden=False,
        fired=("HIDDEN_TEXT", "EXTORTION_HIDDEN_TEXT"),
    ),
    Evasion(
        "en-evasion-hidden-002.eml",
        "junk in zero-size spans between paragraphs and inside the key words",
        WEBCAM_SEEN,
        "bc1q6uegs0an7netvdu2d5kqvsfsaatg5kue4dlrh4",
        address_hidden=False,
        fired=("HIDDEN_TEXT", "EXTORTION_HIDDEN_TEXT"),
    ),
    Evasion(
        "en-evasion-hidden-003.eml",
        "white on white: color:#ffffff, <font color=white>, #fefefe on bgcolor=#ffffff",
        address="bc1q7mga0lekezfuuc56kak0huyk25f0tml09nl9hu",
        address_hidden=False,
        fired=("HIDDEN_TEXT", "EXTORTION_HIDDEN_TEXT"),
    ),
    Evasion(
        "en-evasion-hidden-004.eml",
        "junk hidden by a <style> class and id, opacity:0, visibility, zero-height box",
        address="bc1qs7xsflv0v3raaqhel4ydculc5nuc7mapl8rltn",
        fired=("HIDDEN_TEXT", "EXTORTION_HIDDEN_TEXT"),
    ),
    Evasion(
        "en-evasion-entities-001.eml",
        "decimal and hex character references in words (&#98;itcoin) and the address",
        WEBCAM_SEEN,
        "bc1q8thkvayt8yeukdtvjv9f0kqmzhr2mwvgsd5w40",
    ),
    Evasion(
        "en-evasion-entities-002.eml",
        "named references to invisible characters (bit&shy;coin, &ZeroWidthSpace;, &zwj;)",
        WEBCAM_SEEN,
        "bc1prcttg3jud75lg6s94lq6mwnu7nyct5h2kyxu4h4sqldhcmjmgpfsacadfe",
    ),
    # --- images --------------------------------------------------------------------------
    Evasion(
        "en-evasion-qr-001.eml",
        "address only in an inline QR code (bitcoin: URI with amount)",
        address="bc1qmf37gccrkj667trsledlk5qfpuqa8ytrgpxg3e",
        where="qr",
        fired=("ADDRESS_ONLY_IN_ATTACHMENT", "EXTORTION_CRYPTO_DEMAND"),
    ),
    Evasion(
        "en-evasion-qr-002.eml",
        "address only in an attached QR code, upper-case BIP-21, octet-stream .png",
        address="bc1q2xsym7xgur50zydtfd9dx9rxshgxzqctp6jthq",
        where="qr",
        fired=("ADDRESS_ONLY_IN_ATTACHMENT", "EXTORTION_CRYPTO_DEMAND"),
    ),
    Evasion(
        "en-evasion-qr-003.eml",
        "address only in a QR code given as a data: URI inside the HTML",
        address="bc1qzlsupnrxyssefj94e7fc6ud58yh7xgttt37c87",
        where="qr",
    ),
    Evasion(
        "en-evasion-imageonly-001.eml",
        "image-only body (a picture of the letter); the text in a .txt attachment",
        WEBCAM_SEEN,
        "bc1qjw4xgz57asazyhvn54ykruzqjt98zuveygtscv",
        where="attachment",
    ),
    Evasion(
        "en-evasion-imageonly-002.eml",
        "image-only body; the text in a PDF, the address only in a QR image",
        WEBCAM_SEEN,
        "bc1qffz05qfump3whpqr59266cqf5tfc4a90dcgrcp",
        where="qr",
    ),
    # --- transfer encodings --------------------------------------------------------------
    Evasion(
        "en-evasion-base-encoding-001.eml",
        "base64 text/plain in 60-character lines (P2SH address)",
        PASSWORD_SEEN,
        "3NdvftYRtoAB1wQhqXvYGAxftGWdwSnLDw",
    ),
    Evasion(
        "en-evasion-base-encoding-002.eml",
        "base64 HTML without padding, ragged lines, a junk line",
        WEBCAM_SEEN,
        "bc1qwaf3rdsurd6uvsmf8k96jqup2jfmvcdgafaf20",
    ),
    Evasion(
        "en-evasion-qp-encoding-001.eml",
        "quoted-printable soft line breaks inside the address and inside key words",
        (("EN_RECORDING_CAMERA", "webcam"), ("EN_PAY_CRYPTO", "bitcoin")),
        "bc1q5s7dakzty9fjurjza9udlv5etcnp4laxgypl94",
    ),
    Evasion(
        "en-evasion-qp-encoding-002.eml",
        "quoted-printable encoding the letters of key words and address (=62=69=74coin)",
        WEBCAM_SEEN,
        "bc1qdue3njp08wtuafdvpnqv8cuz9wwn68kk9033n4",
    ),
    Evasion(
        "en-evasion-qp-encoding-003.eml",
        "a soft line break left undecoded (QP labelled 8bit) inside the address",
        address="bc1q84yqmwdsr8v8q5r5wh68892aaw2u6zv0gy7w3t",
        joined=True,
    ),
    # --- RFC 2047 subjects ---------------------------------------------------------------
    Evasion(
        "en-evasion-subject-001.eml",
        "B-encoded UTF-8 subject in several words (one splits a character): name, password",
        (("EN_PASSWORD_CLAIM", "your password is Tr0ub4dor&3"),),
        "bc1qvccvgmpwrm5es8edstcatek0tsmlljkmsxdlrh",
        address_hidden=False,
        fired=("PASSWORD_IN_SUBJECT", "RECIPIENT_IN_SUBJECT", "EXTORTION_PASSWORD_SUBJECT"),
    ),
    Evasion(
        "en-evasion-subject-002.eml",
        "Q-encoded UTF-8 subject with look-alikes; the demand only in the subject",
        (("EN_PAY_CRYPTO", "send 0.02 BTC"), ("EN_PASSWORD_CLAIM", "password: Tr0ub4dor&3")),
        "bc1qp9jddn0z2kev7c38xtcyhcclw9zzl74wunarj0",
        address_hidden=False,
    ),
    Evasion(
        "en-evasion-subject-003.eml",
        "B-encoded windows-1251 subject, look-alikes",
        (("EN_PASSWORD_CLAIM", "your password is Tr0ub4dor&3"),),
        "bc1qs65rgfd9melnzvtzffqpcf3cxmm70vrzmq0qq0",
        address_hidden=False,
    ),
    Evasion(
        "en-evasion-subject-004.eml",
        "Q-encoded windows-1251 subject: recipient's name and the demand in look-alikes",
        (("EN_PAY_CRYPTO", "pay 0.02 BTC"),),
        "bc1q7jkk4u4we7a9laezuvgzkeucn6d6r89lfne9mn",
        address_hidden=False,
        fired=("RECIPIENT_IN_SUBJECT", "EXTORTION_PASSWORD_SUBJECT"),
    ),
    Evasion(
        "en-evasion-subject-005.eml",
        "look-alike and zero-width character in 'password' and the name in the subject",
        address="bc1qfm2qurw7crfqcpy84vjp2pr4hkw5w3k796uhf5",
        address_hidden=False,
        fired=("PASSWORD_IN_SUBJECT", "RECIPIENT_IN_SUBJECT", "EXTORTION_PASSWORD_SUBJECT"),
    ),
    # --- charsets ------------------------------------------------------------------------
    Evasion(
        "en-evasion-charset-001.eml",
        "windows-1251 8bit, Cyrillic look-alikes",
        WEBCAM_SEEN,
        "bc1qcf22tj3udkzjymprp96ztujww08mmx96hxwnhy",
        address_hidden=False,
    ),
    Evasion(
        "en-evasion-charset-002.eml",
        "koi8-r quoted-printable, Russian look-alikes",
        WEBCAM_SEEN,
        "bc1q97m49sv6hg46upwahj976lk42xmj8r0z028cs2",
        address_hidden=False,
    ),
    Evasion(
        "en-evasion-charset-003.eml",
        "iso-8859-5 base64, Cyrillic look-alikes",
        WEBCAM_SEEN,
        "bc1q534rv28swg387e8wur68nmdz2uncts86cysrka",
    ),
    Evasion(
        "en-evasion-charset-004.eml",
        "iso-8859-7 8bit, Greek look-alikes",
        WEBCAM_SEEN,
        "bc1qy9lx7smtkfm054gfxa5508fnz8uk2g7eu87c3z",
        address_hidden=False,
    ),
    Evasion(
        "en-evasion-charset-005.eml",
        "Shift_JIS base64, key words in fullwidth Latin",
        WEBCAM_SEEN,
        "bc1q6pquy8atw28fwvfpu2we84x63q3fxq5gk75peq",
    ),
    Evasion(
        "en-evasion-charset-006.eml",
        "UTF-7 with letters in base64 runs ('+AGI-itcoin'), also inside the address",
        WEBCAM_SEEN,
        "bc1q9438dw85ak5824g0syt7c27ke0cm8kpma4u8c2",
    ),
    Evasion(
        "en-evasion-charset-007.eml",
        "no charset label on 8bit UTF-8 with look-alikes",
        WEBCAM_SEEN,
        "bc1qs7xl8j4lghx2s4c63n87ttgw33tqflzkwc53xk",
        address_hidden=False,
    ),
    Evasion(
        "en-evasion-charset-008.eml",
        "UTF-8 with look-alikes labelled iso-8859-1",
        WEBCAM_SEEN,
        "bc1qq7d3zplnlhv3yyw0lesgjel20wmjkvh8la4hll",
        address_hidden=False,
    ),
    Evasion(
        "en-evasion-charset-009.eml",
        "iso-8859-2 under the alias 'ISO_8859-2:1987', NBSP inside the amount",
        (("MONEY_AMOUNT", "1 250 USD"),),
        "bc1q3thdfwnplgd3xam830cm8hfs7mqsh8wd9kurns",
        address_hidden=False,
    ),
    # --- attachments ---------------------------------------------------------------------
    Evasion(
        "en-evasion-txt-attachment-001.eml",
        "letter in a UTF-16 (Notepad 'Unicode') README.txt sent as octet-stream",
        WEBCAM_SEEN,
        "bc1q2l9wwq96s2xpen2del4aakz9ckz5ey0knjzx9r",
        where="attachment",
        fired=("ADDRESS_ONLY_IN_ATTACHMENT", "EXTORTION_ATTACHMENT_ADDRESS"),
    ),
    Evasion(
        "en-evasion-txt-attachment-002.eml",
        "letter in a named text/plain part (no disposition), windows-1251 look-alikes",
        WEBCAM_SEEN,
        "bc1qqdlp7af7rd6s9su7ndzglnh8aur3e5mjgtha3y",
        where="attachment",
        fired=("ADDRESS_ONLY_IN_ATTACHMENT",),
    ),
    Evasion(
        "en-evasion-html-attachment-001.eml",
        "letter in an .html attachment, words split by tags and entities",
        WEBCAM_SEEN,
        "bc1q9f5stjuksmtuwx8wm5pz2rajpxq4jncuzq4fz9",
        where="attachment",
        fired=("ADDRESS_ONLY_IN_ATTACHMENT",),
    ),
    Evasion(
        "en-evasion-pdf-001.eml",
        "letter and address only in a PDF attachment (Flate-compressed text)",
        WEBCAM_SEEN,
        "bc1qz7eesegz7e6g45zflda8fue2r5yg9cp8yafs70",
        where="attachment",
        fired=("ADDRESS_ONLY_IN_ATTACHMENT", "EXTORTION_ATTACHMENT_ADDRESS"),
    ),
    Evasion(
        "en-evasion-pdf-002.eml",
        "two-page PDF with kerned TJ arrays of hex strings, sent as octet-stream",
        PASSWORD_SEEN,
        "bc1qfrqyjm5meh6hgtw9g6hq3h8rffe836mayc0dsg",
        where="attachment",
    ),
    Evasion(
        "en-evasion-pdf-003.eml",
        "'photo of your house' PDF: the address only in a QR image inside the PDF",
        address="bc1qvhqy0llad9twz25285hysdqw820dxtq6zktryc",
        where="qr",
    ),
    # --- split addresses -----------------------------------------------------------------
    Evasion(
        "en-evasion-split-001.eml",
        "address in two pieces separated by spaces",
        address="bc1qgc5rqy5keas49u46cksdpc60gmyyhq2pkrxzur",
        joined=True,
    ),
    Evasion(
        "en-evasion-split-002.eml",
        "legacy address over three lines",
        address="1JitNFMzigSCWSJHqutg9NQVw7nfxAPw5B",
        joined=True,
    ),
    Evasion(
        "en-evasion-split-003.eml",
        "taproot address split by <br> tags",
        address="bc1pyjk3q8yxpycde00den7xuf6tzspwqlg8crgkjv45455a7yuuyrlsjmdmef",
        joined=True,
    ),
    Evasion(
        "en-evasion-split-004.eml",
        "address in seven groups of six characters",
        address="bc1q4y437vlgqm3zyfnxhhrja0z72t9j0e0hausel7",
        joined=True,
    ),
    # --- decoys and senders --------------------------------------------------------------
    Evasion(
        "en-evasion-decoy-001.eml",
        "gardening newsletter (List-Unsubscribe, List-Id, footer) wrapped around the letter",
        address="bc1q59mduqzmrzdaq3ru6wtn760jfy337kqe6yjghf",
        address_hidden=False,
        fired=("LIST_UNSUBSCRIBE_HEADER", "EXTORTION_CRYPTO_DEMAND", "EXTORTION_STORY_3"),
    ),
    Evasion(
        "en-evasion-decoy-002.eml",
        "Bayes poison: encyclopedia paragraphs above and below the letter",
        address="bc1qsvwu4ge0qkcsw3kur7at7rz7muygmu79vt7cs9",
        address_hidden=False,
        fired=("EXTORTION_CRYPTO_DEMAND", "EXTORTION_STORY_3"),
    ),
    Evasion(
        "en-evasion-decoy-003.eml",
        "visible security-news paragraph (report and advice words) above the letter",
        address="bc1q4y7cftv92jpr7nnzq0wjzs3dtedy8smjgnf7vu",
        address_hidden=False,
        # the letter's own voice ("to my wallet", "if I do not receive") next to the address,
        # with nothing quoting it, turns the report and advice guards off
        fired=("DIRECT_DEMAND", "EXTORTION_CRYPTO_DEMAND", "EXTORTION_STORY_3"),
    ),
    Evasion(
        "en-evasion-decoy-004.eml",
        "fake forward: a 'Forwarded message' header line and a 'Fwd:' subject",
        address="bc1q674ee6legny4uh4afhf9ljmvawmephe9kcyls5",
        address_hidden=False,
        # a forward marker with no forwarded To: line and no "> " quotes does not frame
        # the letter as quoted: with its own voice and address, the forward guards stay off
        fired=("DIRECT_DEMAND", "EXTORTION_CRYPTO_DEMAND", "EXTORTION_STORY_3"),
    ),
    Evasion(
        "en-evasion-selfsent-001.eml",
        "From = To, the same address",
        address="bc1qlxxfs8ystmmggj7fdexk09suppzxdhta040qek",
        address_hidden=False,
        fired=("FROM_EQUALS_TO", "EXTORTION_SELF_SENT"),
    ),
    Evasion(
        "en-evasion-selfsent-002.eml",
        "From = To in another case, RFC 2047 display name, second recipient; Litecoin",
        address="ltc1qc47ctg8pm5ye547hvuu0qxeycmj7zaka4vhmpm",
        address_hidden=False,
        fired=("FROM_EQUALS_TO", "EXTORTION_SELF_SENT"),
    ),
    Evasion(
        "en-evasion-noaddress-001.eml",
        "no address: Bitcoin ATM, reply for the wallet",
        fired=("EN_PAY_REPLY_FOR_WALLET", "EN_PAY_HOWTO", "EXTORTION_NO_ADDRESS"),
    ),
    Evasion(
        "en-evasion-noaddress-002.eml",
        "no address, key words in Cyrillic look-alikes, base64 HTML",
        (
            ("EN_PAY_REPLY_FOR_WALLET", "wallet address"),
            ("EN_PAY_HOWTO", "bitcoin atm"),
            ("EN_RECORDING_CAMERA", "webcam"),
        ),
        fired=("EXTORTION_NO_ADDRESS",),
    ),
]


def _param(row: Evasion) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=row.gap)] if row.gap else []
    return pytest.param(row, id=row.file.removesuffix(".eml"), marks=marks)


@pytest.mark.parametrize("row", [_param(row) for row in EVASIONS])
def test_evasion_is_seen_through(shipped_engine: Engine, row: Evasion) -> None:
    raw = row.path.read_bytes()
    raw_text = raw.decode("latin-1").lower()
    facts = shipped_engine.prepare(raw)
    verdict = shipped_engine.decide(facts)
    hits = {hit.rule_id: hit for hit in verdict.hits}
    context = f"{row.trick}: score {verdict.score}, rules {sorted(hits)}"

    assert verdict.action is not Action.ACCEPT, context
    assert [h.rule_id for h in verdict.hits if h.score < 0] == [], context
    for rule_id, text in row.seen:
        assert rule_id in hits, f"{rule_id} did not fire; {context}"
        assert text.lower() in hits[rule_id].evidence.lower(), (rule_id, hits[rule_id].evidence)
        assert text.lower() not in raw_text, f"the file spells out {text!r}: not a disguise"
    for rule_id in row.fired:
        assert rule_id in hits, f"{rule_id} did not fire; {context}"

    valid = [located for located in facts.addresses if located.address.valid]
    if not row.address:
        assert valid == [], context
        return
    found = {located.address.address: located for located in valid}
    assert row.address in found, f"{row.address} not found among {sorted(found)}"
    located = found[row.address]
    assert located.address in verdict.addresses
    assert (located.location, located.address.joined) == (row.where, row.joined)
    if row.address_hidden:
        assert row.address.lower() not in raw_text, "the file holds the address as is"


HIDDEN = [row for row in EVASIONS if "HIDDEN_TEXT" in row.fired]


@pytest.mark.parametrize("row", HIDDEN, ids=lambda row: row.file.removesuffix(".eml"))
def test_hidden_junk_counts_for_nothing(shipped_engine: Engine, row: Evasion) -> None:
    """The hidden junk is potent (made visible, it is report or advice language that fires
    the ham guards' families), and hidden, no rule reads it: no context family fires."""
    facts = shipped_engine.prepare(row.path.read_bytes())
    verdict = shipped_engine.decide(facts)
    families = {
        rule.info.family
        for rule in shipped_engine.ruleset.all_rules
        if rule.info.id in verdict.rule_ids
    }
    assert families.isdisjoint(CONTEXT_FAMILIES), families
    assert facts.message.hidden_text

    visible = facts.message.body_text + "\n" + facts.message.hidden_text
    unmasked = shipped_engine.scan(
        b"From: a@sender.example\r\nTo: b@rcpt.example\r\nSubject: same text, all visible\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + visible.encode()
    )
    unmasked_families = {
        rule.info.family
        for rule in shipped_engine.ruleset.all_rules
        if rule.info.id in unmasked.rule_ids
    }
    assert not unmasked_families.isdisjoint(CONTEXT_FAMILIES), unmasked.rule_ids
    # Visible, the junk would discount the letter, unless the letter demands payment in its
    # own voice next to its address with nothing quoting it: DIRECT_DEMAND then turns the
    # guards off, as it does for a visible decoy paragraph (en-evasion-decoy-003).
    discounted = [h.rule_id for h in unmasked.hits if h.score < 0]
    assert discounted or "DIRECT_DEMAND" in unmasked.rule_ids, unmasked.rule_ids
    assert unmasked.score <= verdict.score


# --- benign look-alikes of the tricks ------------------------------------------------------


@dataclass(frozen=True)
class LookAlike:
    file: str
    trick: str
    fired: tuple[str, ...] = ()
    address: str = ""
    where: str = "body"
    pdf_text: str = ""  # text that reached the rules from a PDF attachment
    qr_text: str = ""  # text of a QR code in the message's images
    body_text: str = ""  # text in the normalized visible body, not in the raw file


LOOKALIKES = [
    LookAlike(
        "ham-evasion-pdf-invoice-001.eml",
        "a real invoice as a PDF (amount, IBAN, due in 14 days)",
        pdf_text="Total due: EUR 76.16",
    ),
    LookAlike(
        "ham-evasion-qr-ticket-001.eml",
        "conference ticket with a check-in QR code",
        qr_text="https://tickets.devconf.example/checkin/7F3K-22QX-91LM",
    ),
    LookAlike(
        "ham-evasion-qr-donation-001.eml",
        "meetup newsletter with a donation QR code holding a valid address",
        fired=("ADDRESS_ONLY_IN_ATTACHMENT", "LIST_UNSUBSCRIBE_HEADER"),
        address="bc1qygxnf42uqn2gf95vw5cjyvzzmx7w056d8klrca",
        where="qr",
    ),
    LookAlike(
        "ham-evasion-preheader-001.eml",
        "retail newsletter with a hidden preheader, zero-width padding, tracking pixel",
        fired=("HIDDEN_TEXT", "LIST_UNSUBSCRIBE_HEADER"),
    ),
    LookAlike(
        "ham-evasion-receipt-qp-001.eml",
        "exchange withdrawal receipt, QP soft break inside the address",
        fired=("EN_TRANSACTIONAL",),
        address="bc1qn6kaycfyuwcxl5qlsf04xg26mzpag5djl0xs9h",
    ),
    LookAlike(
        "ham-evasion-entities-001.eml",
        "word-processor HTML: entities, split spans, soft hyphen; webcam, video, recording",
        body_text="recorded a short video of the board meeting",
    ),
]


@pytest.mark.parametrize("row", LOOKALIKES, ids=lambda row: row.file.removesuffix(".eml"))
def test_benign_lookalike_is_accepted(shipped_engine: Engine, row: LookAlike) -> None:
    raw = (CORPUS / "ham" / row.file).read_bytes()
    facts = shipped_engine.prepare(raw)
    verdict = shipped_engine.decide(facts)
    context = f"{row.trick}: score {verdict.score}, rules {verdict.rule_ids}"
    assert verdict.action is Action.ACCEPT, context
    assert [h.rule_id for h in verdict.hits if h.score > 0] == [], context
    for rule_id in row.fired:
        assert rule_id in verdict.rule_ids, f"{rule_id} did not fire; {context}"
    if row.address:
        found = {a.address.address: a for a in facts.addresses if a.address.valid}
        assert found[row.address].location == row.where
    if row.pdf_text:
        pdf = "\n".join(p.text for p in facts.message.parts if p.source == "pdf")
        assert row.pdf_text in pdf
        assert row.pdf_text.encode() not in raw
    if row.qr_text:
        assert decode_qr_texts(facts.message.images) == [row.qr_text]
    if row.body_text:
        assert row.body_text in facts.body
        assert row.body_text.encode() not in raw


def test_every_evasion_file_has_a_row() -> None:
    files = {p.name for p in (CORPUS / "extortion").glob("en-evasion-*.eml")}
    files |= {p.name for p in OPEN.glob("*.eml")}
    assert files == {row.file for row in EVASIONS}
    hams = {p.name for p in (CORPUS / "ham").glob("ham-evasion-*.eml")}
    assert hams == {row.file for row in LOOKALIKES}
    assert all(row.path.is_file() for row in EVASIONS)
