"""find_addresses on message text: look-alikes, split addresses, URLs, dedupe, cap, cost."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extortion_milter.engine.crypto import find_addresses
from tests.unit.test_crypto_support import base58check, hash20, segwit

GENESIS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
BECH32 = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
TAPROOT = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
ETH = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
XMR = (
    "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7Sq"
    "SsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
)
TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
BCH = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"


def _summary(text: str, **kwargs: int) -> list[tuple[str, str, bool]]:
    return [(a.currency, a.address, a.valid) for a in find_addresses(text, **kwargs)]


def test_every_currency_in_order_of_appearance() -> None:
    text = (
        f"Pay in BTC to {GENESIS} or {BECH32}.\nEthereum: {ETH}\nMonero: {XMR}\n"
        f"USDT TRC-20: {TRON}; Bitcoin Cash: {BCH}; Taproot: {TAPROOT}"
    )
    assert _summary(text) == [
        ("btc", GENESIS, True),
        ("btc", BECH32, True),
        ("eth", ETH, True),
        ("xmr", XMR, True),
        ("trx", TRON, True),
        ("bch", BCH, True),
        ("btc", TAPROOT, True),
    ]


def test_address_inside_punctuation_and_bitcoin_uri() -> None:
    text = f'("{GENESIS}"), bitcoin:{P2SH}?amount=0.1 and <{BECH32}>'
    assert [a.address for a in find_addresses(text)] == [GENESIS, P2SH, BECH32]
    assert not any(a.in_url for a in find_addresses(text))


def test_address_glued_to_other_alphanumerics_is_not_reported() -> None:
    assert find_addresses(f"x{GENESIS}") == []
    assert find_addresses(f"{GENESIS}0") == []
    assert find_addresses(f"ab{ETH}") == []


def test_non_ascii_neighbours_are_boundaries() -> None:
    [found] = find_addresses(f"adresse\u00a0:é{GENESIS}ü – merci")
    assert found.address == GENESIS and found.valid


# --- things that are not addresses ------------------------------------------------------


NOT_ADDRESSES = [
    "commit 3f786850e387550fdab836ed7e6dc881de23001b",  # git hash
    "Merge 1a2b3c4 into main, fixes 4e1243bd22c66e76c2ba9eddc1f91394e57f9f83",
    "tx 0x2f2c9a2d7b7e0b4c1e0d2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f",  # 64 hex
    "Order #1123581321345589144233377610987 shipped",  # long order number
    "Invoice 2023-ABC-0042-XYZ; ref 123456789ABCDEFGH",
    "dGhpcyBpcyBqdXN0IHNvbWUgYmFzZTY0IHRleHQgdGhhdCBpcyBub3QgYW4gYWRkcmVzcw==",
    "uuid 123e4567-e89b-12d3-a456-426614174000",
    "Message-ID: <CAJ3k1Pq7Xz9mN2vB8wR4tY6uI0oP5aS@mail.example.com>",
    "counter 0x0000000000000000000000000000000000000000",  # all digits
    "In the 1990s DVDs and the 4th TMDA release by McAfee sold 16PM",
]


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_random_tokens_are_never_valid(text: str) -> None:
    assert not any(a.valid for a in find_addresses(text))


def test_git_hash_and_tx_hash_are_not_reported_at_all() -> None:
    assert find_addresses(NOT_ADDRESSES[0]) == []
    assert find_addresses(NOT_ADDRESSES[2]) == []


def test_failing_lookalike_reported_invalid() -> None:
    typo = GENESIS[:-1] + "b"
    assert _summary(f"Send 0.1 BTC to {typo} within 48 hours") == [("btc", typo, False)]


def test_lookalike_in_url_or_base64_is_not_reported() -> None:
    typo = GENESIS[:-1] + "b"
    assert find_addresses(f"https://click.example.com/r/{typo}") == []
    assert find_addresses(f"QUJD+{typo}/ZGVm") == []
    # ...but a valid address in a URL is reported (marked in_url).
    [found] = find_addresses(f"https://www.blockchain.com/btc/address/{GENESIS}")
    assert found.valid and found.in_url


# --- split addresses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"send to {BECH32[:33]} {BECH32[33:]} now",  # space
        f"send to {BECH32[:20]}\n{BECH32[20:]}\nnow",  # line break
        f"send to {BECH32[:20]}=\n{BECH32[20:]} now",  # quoted-printable soft break
        f"send to {BECH32[:20]}=\r\n{BECH32[20:]} now",
        f"send to {BECH32[:10]}  {BECH32[10:25]} \n {BECH32[25:]} now",  # three pieces
    ],
)
def test_split_bech32_is_rejoined(text: str) -> None:
    [found] = find_addresses(text)
    assert (found.address, found.valid, found.joined) == (BECH32, True, True)


@pytest.mark.parametrize(
    ("address", "cut"),
    [(GENESIS, 4), (GENESIS, 17), (P2SH, 30), (TRON, 20), (XMR, 48), (ETH, 22), (BCH, 30)],
)
def test_split_addresses_of_each_kind_are_rejoined(address: str, cut: int) -> None:
    [found] = find_addresses(f"Pay: {address[:cut]}\n{address[cut:]}\nThanks")
    assert (found.address, found.valid, found.joined) == (address, True, True)


def test_brief_example_with_extra_character_is_not_joined() -> None:
    # Joining gives a 43-char string ("…p83kkjfjhx0wlh") that fails the checksum.
    found = find_addresses("bc1qxy2kgdygjrsqtzq2n0yrf2493p83k kjfjhx0wlh")
    assert not any(a.valid or a.joined for a in found)


def test_pieces_are_joined_only_if_the_result_validates() -> None:
    # Two unrelated halves: each a piece of a different address.
    other = base58check(0x00, hash20("other"))
    text = f"{GENESIS[:17]} {other[17:]}"
    assert not any(a.valid for a in find_addresses(text))


def test_an_address_written_in_groups_is_joined() -> None:
    pieces = [GENESIS[i : i + 5] for i in range(0, len(GENESIS), 5)]  # 7 pieces
    [found] = find_addresses(" ".join(pieces) + " thanks")
    assert (found.address, found.joined) == (GENESIS, True)


def test_groups_that_never_validate_are_not_joined() -> None:
    pieces = [GENESIS[i : i + 5] for i in range(0, len(GENESIS), 5)]
    pieces[3] = "11111"  # base58 characters, but the checksum no longer holds
    assert all(a.valid is False for a in find_addresses(" ".join(pieces)))


def test_valid_address_is_not_extended_by_the_next_word() -> None:
    [found] = find_addresses(f"{GENESIS} a")
    assert (found.address, found.joined) == (GENESIS, False)


def test_address_after_a_joined_one_is_still_found() -> None:
    text = f"{GENESIS[:20]} {GENESIS[20:]} {P2SH}"
    assert [(a.address, a.joined) for a in find_addresses(text)] == [
        (GENESIS, True),
        (P2SH, False),
    ]


def test_split_across_paragraphs_is_not_joined() -> None:
    assert not any(a.valid for a in find_addresses(f"{GENESIS[:17]}\n\n{GENESIS[17:]}"))


# --- in_url ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "in_url"),
    [
        (f"https://blockchair.com/bitcoin/address/{GENESIS}", True),
        (f"see (http://explorer.example/addr?a={GENESIS}&x=1)", True),
        (f"www.blockchain.com/btc/address/{GENESIS}", True),
        (f"HTTPS://ETHERSCAN.IO/address/{ETH}", True),
        (f"https://example.com/ {GENESIS}", False),
        (f"<a href=https://example.com>{GENESIS}", False),
        (f"bitcoin:{GENESIS}", False),
        (f"Send to {GENESIS}", False),
    ],
)
def test_in_url(text: str, in_url: bool) -> None:
    [found] = find_addresses(text)
    assert found.in_url is in_url


def test_one_bare_mention_outweighs_a_link() -> None:
    text = f"https://blockchair.com/bitcoin/address/{GENESIS}\nSend to {GENESIS}"
    [found] = find_addresses(text)
    assert found.in_url is False


# --- dedupe and cap -------------------------------------------------------------------


def test_dedupe_keeps_first_appearance() -> None:
    text = f"{P2SH} {GENESIS} {P2SH} {BECH32.upper()} {BECH32} {GENESIS[:20]} {GENESIS[20:]}"
    found = find_addresses(text)
    assert [a.address for a in found] == [P2SH, GENESIS, BECH32]
    assert found[1].joined is True  # a later split copy marks it joined


def test_cap() -> None:
    addresses = [base58check(0x00, hash20(str(i))) for i in range(60)]
    text = "\n".join(f"Pay {a} now" for a in addresses)
    assert [a.address for a in find_addresses(text)] == addresses[:50]
    assert [a.address for a in find_addresses(text, max_addresses=3)] == addresses[:3]
    assert find_addresses(text, max_addresses=0) == []


def test_runs_longer_than_any_address_are_not_addresses() -> None:
    # Postfix's smtp-source sends lines of a digit and 79 X's: base58-looking runs too long
    # for any currency, alone or with the next line joined on.
    lines = "\n".join(f"{i % 10}" + "X" * 79 for i in range(1, 51))
    assert find_addresses(lines) == []
    assert _summary(f"{lines}\n{GENESIS}") == [("btc", GENESIS, True)]


@pytest.mark.parametrize("before", ["\u00e9", "\u2013", "\U0001f4b0", "\u00a0"])
def test_address_after_a_multibyte_character(before: str) -> None:
    assert _summary(f"{before}{GENESIS}{before}") == [("btc", GENESIS, True)]


def test_empty_and_plain_text() -> None:
    assert find_addresses("") == []
    assert find_addresses("Dear friend, I know your password. Pay me.") == []


def test_lone_surrogate_does_not_crash() -> None:
    assert [a.address for a in find_addresses(f"\udcff {GENESIS}")] == [GENESIS]


# --- cost -----------------------------------------------------------------------------


def _prose(size: int) -> str:
    rng = random.Random(7)
    words = [
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 9)))
        for _ in range(400)
    ]
    words += ["The", "Dear", "DVDs", "McAfee", "1999", "4th", "16PM", "TMDA", "https://x.io/a"]
    out: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(words)
        out.append(word)
        length += len(word) + 1
    return " ".join(out)[:size]


def test_50kb_of_prose_has_no_addresses() -> None:
    # Its speed is bench/engine.py's business; here, no word of prose is an address.
    assert find_addresses(_prose(50 * 1024)) == []


@pytest.mark.parametrize(
    "text",
    [
        "1" * 250_000,
        "bc1" + "q" * 250_000,
        "0x" + "a" * 250_000,
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb " * 7000),
        ("1A1z P1eP " * 25_000),
        ("=\n".join(["1Ab3dEf5hJk"] * 20_000)),
    ],
)
@pytest.mark.timeout(60)  # a hang fails here; speed itself is measured in bench/
def test_pathological_text_stays_bounded(text: str) -> None:
    found = find_addresses(text)
    assert len(found) <= 50
    assert not any(a.valid for a in found)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + " \n=+/:.-", max_size=400))
def test_random_text_never_yields_valid_addresses(text: str) -> None:
    found = find_addresses(text)
    assert len(found) <= 50
    # Random characters fail every checksum; the only checksum-free kind, a single-case
    # 0x+40 hex, is vanishingly unlikely from this alphabet.
    assert not any(a.valid for a in found)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=len(GENESIS)), st.sampled_from([" ", "\n", "=\n"]))
def test_any_single_split_of_a_p2pkh_address_is_rejoined(cut: int, sep: str) -> None:
    left, right = GENESIS[:cut], GENESIS[cut:]
    found = find_addresses(f"Send to {left}{sep if left and right else ''}{right} now")
    if len(left) >= 4 or not left or not right:
        assert [(a.address, a.valid) for a in found] == [(GENESIS, True)]
    else:
        assert not any(a.valid for a in found)  # first piece too short to start a join


def test_segwit_helper_builds_what_is_found() -> None:
    address = segwit("bc", 0, hash20("helper"))
    assert _summary(address) == [("btc", address, True)]
