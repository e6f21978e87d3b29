"""The Encryptor, the hierarchical keyring and blind indexes, against moto's KMS and DynamoDB."""

from __future__ import annotations

import base64
from collections import Counter
from typing import Any

import pytest

from shared.crypto.blind import BlindIndex, normalize_email, normalize_phone
from shared.crypto.encryptor import BLOB_MAGIC, TOKEN_PREFIX, Encryptor, KeyDestroyed, candidate_subject
from shared.crypto.keyring import BranchKeyring
from shared.storage import keys

DAY = 86400


class Clock:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _kms_counter(kms: Any) -> Counter:
    """Counts KMS API calls as botocore issues them (the events every boto3 client emits)."""
    calls: Counter = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    kms.meta.events.register("before-call.kms", count)
    return calls


def _build(aws: Any, clock: Clock, *, rotation_days: int = 90, cache_s: int = 600) -> tuple[BranchKeyring, Encryptor]:
    ring = BranchKeyring(
        aws.kms, aws.keys_table, aws.settings.kms_key_id, cache_s=cache_s, rotation_days=rotation_days, clock=clock
    )
    return ring, Encryptor(ring, aws.keys_table, clock=clock)


# -- the Encryptor ---------------------------------------------------------------------------------


def test_fields_round_trip_and_are_not_stored_in_clear(aws):
    enc = aws.encryptor
    subject = candidate_subject("c_1")
    token = enc.encrypt_field(subject, "name", "张三")
    assert token.startswith(TOKEN_PREFIX) and "张三" not in token
    assert enc.decrypt_field(subject, "name", token) == "张三"
    assert enc.encrypt_field(subject, "name", None) is None and enc.decrypt_field(subject, "name", None) is None


def test_the_same_value_encrypts_differently_each_time(aws):
    # (a fresh nonce per encryption: equal ciphertexts would reveal equal values)
    enc = aws.encryptor
    s = candidate_subject("c_1")
    a, b = enc.encrypt_field(s, "email", "a@example.com"), enc.encrypt_field(s, "email", "a@example.com")
    assert a != b
    assert base64.b64decode(a[3:])[:12] != base64.b64decode(b[3:])[:12]


def test_blobs_round_trip(aws):
    enc = aws.encryptor
    body = "原始 webhook body".encode() * 100
    blob = enc.encrypt_blob("evt:abc", "raw-body", body)
    assert blob.startswith(BLOB_MAGIC) and body not in blob
    assert enc.decrypt_blob("evt:abc", "raw-body", blob) == body


def test_a_ciphertext_is_bound_to_its_field_and_subject(aws):
    # Given a name encrypted for candidate 1
    enc = aws.encryptor
    s1, s2 = candidate_subject("c_1"), candidate_subject("c_2")
    enc.encrypt_field(s2, "name", "someone else")  # c_2 has its own key
    token = enc.encrypt_field(s1, "name", "张三")
    # When it is moved to another field or another candidate, Then it does not decrypt
    with pytest.raises(ValueError, match="authenticate"):
        enc.decrypt_field(s1, "email", token)
    with pytest.raises(ValueError, match="authenticate"):
        enc.decrypt_field(s2, "name", token)
    # and a subject that never had a key cannot read anything
    with pytest.raises(KeyDestroyed):
        enc.decrypt_field(candidate_subject("c_none"), "name", token)


def test_a_blob_is_bound_to_its_purpose_and_subject(aws):
    enc = aws.encryptor
    enc.encrypt_blob("evt:other", "raw-body", b"x")
    blob = enc.encrypt_blob("evt:abc", "raw-body", b"secret body")
    with pytest.raises(ValueError):
        enc.decrypt_blob("evt:abc", "quarantine", blob)
    with pytest.raises(ValueError):
        enc.decrypt_blob("evt:other", "raw-body", blob)


def test_tampered_ciphertexts_are_refused(aws):
    enc = aws.encryptor
    s = candidate_subject("c_1")
    raw = bytearray(base64.b64decode(enc.encrypt_field(s, "phone", "+8613800000000")[3:]))
    raw[-1] ^= 0x01
    with pytest.raises(ValueError):
        enc.decrypt_field(s, "phone", TOKEN_PREFIX + base64.b64encode(bytes(raw)).decode())
    with pytest.raises(ValueError):
        enc.decrypt_field(s, "phone", "+8613800000000")  # a clear value is never taken for a ciphertext
    blob = bytearray(enc.encrypt_blob(s, "raw-body", b"body"))
    blob[10] ^= 0xFF
    with pytest.raises(ValueError):
        enc.decrypt_blob(s, "raw-body", bytes(blob))


def test_data_keys_are_stored_only_wrapped(aws):
    enc = aws.encryptor
    s = candidate_subject("c_1")
    enc.encrypt_field(s, "name", "张三")
    dek = enc.data_key(s)
    item = aws.keys_table.get_item(Key=keys.data_key(s))["Item"]
    assert set(item) == {"pk", "v", "w"}
    assert dek not in base64.b64decode(item["w"]) and dek.hex() not in str(item)
    branch = aws.keys_table.get_item(Key=keys.branch_key(int(item["v"])))["Item"]
    _, plain_branch = aws.keyring.active()
    assert plain_branch not in base64.b64decode(branch["ciphertext"])


def test_destroy_makes_every_copy_unreadable_and_leaves_others_alone(aws):
    # Given two candidates with encrypted data, read by two "containers"
    _, enc = _build(aws, Clock())
    s1, s2 = candidate_subject("c_1"), candidate_subject("c_2")
    t1, t2 = enc.encrypt_field(s1, "name", "张三"), enc.encrypt_field(s2, "name", "李四")
    blob = enc.encrypt_blob(s1, "transcript", "我的回答".encode())
    # When candidate 1's key is destroyed
    enc.destroy(s1)
    # Then nothing of candidate 1 decrypts any more, here or in a fresh container
    _, fresh = _build(aws, Clock())
    for e in (enc, fresh):
        with pytest.raises(KeyDestroyed):
            e.decrypt_field(s1, "name", t1)
        with pytest.raises(KeyDestroyed):
            e.decrypt_blob(s1, "transcript", blob)
        assert e.decrypt_field(s2, "name", t2) == "李四"
    assert "Item" not in aws.keys_table.get_item(Key=keys.data_key(s1))
    # and writing for that subject again makes a new key that cannot open the old data
    enc.encrypt_field(s1, "name", "new")
    with pytest.raises(ValueError):
        enc.decrypt_field(s1, "name", t1)


# -- the keyring: KMS is not called once per candidate -------------------------------------------


def test_a_thousand_subjects_cost_a_handful_of_kms_calls(aws):
    # Given a cold container
    clock = Clock()
    ring, enc = _build(aws, clock)
    calls = _kms_counter(aws.kms)
    # When 1,000 candidates each get a name encrypted
    tokens = [enc.encrypt_field(candidate_subject(f"c_{i}"), "name", f"name {i}") for i in range(1000)]
    # Then KMS was called a handful of times, not once per candidate
    assert 1 <= sum(calls.values()) <= 3, calls
    assert ring.kms_calls == sum(calls.values())
    # and a second cold container reading them all back makes about one KMS call too
    ring2, enc2 = _build(aws, clock)
    calls.clear()
    assert [enc2.decrypt_field(candidate_subject(f"c_{i}"), "name", t) for i, t in enumerate(tokens)][-1] == "name 999"
    assert calls["Decrypt"] >= 1 and sum(calls.values()) <= 2, calls
    assert ring2.kms_calls <= 2


def test_the_branch_key_is_fetched_again_after_its_cache_period(aws):
    clock = Clock()
    ring, enc = _build(aws, clock, cache_s=600)
    enc.encrypt_field(candidate_subject("c_0"), "name", "x")
    before = ring.kms_calls
    clock.t += 601
    enc.encrypt_field(candidate_subject("c_1"), "name", "y")
    assert ring.kms_calls == before + 1


def test_rotation_after_rotation_days_keeps_old_versions_readable(aws):
    # Given data encrypted under branch key version 1
    clock = Clock()
    ring, enc = _build(aws, clock, rotation_days=90)
    old_subject = candidate_subject("c_old")
    old = enc.encrypt_field(old_subject, "name", "旧数据")
    assert ring.active()[0] == 1
    # When 91 days pass and new data is written
    clock.t += 91 * DAY
    new_subject = candidate_subject("c_new")
    new = enc.encrypt_field(new_subject, "name", "新数据")
    # Then a new branch key version is active and wraps the new data key
    assert ring.active()[0] == 2
    assert int(aws.keys_table.get_item(Key=keys.data_key(new_subject))["Item"]["v"]) == 2
    assert int(aws.keys_table.get_item(Key=keys.data_key(old_subject))["Item"]["v"]) == 1
    # and a cold container reads both versions
    _, fresh = _build(aws, clock)
    assert fresh.decrypt_field(old_subject, "name", old) == "旧数据"
    assert fresh.decrypt_field(new_subject, "name", new) == "新数据"


def test_no_rotation_before_rotation_days(aws):
    clock = Clock()
    _, enc = _build(aws, clock, rotation_days=90)
    enc.encrypt_field(candidate_subject("c_0"), "name", "x")
    clock.t += 89 * DAY
    ring2, enc2 = _build(aws, clock, rotation_days=90)
    enc2.encrypt_field(candidate_subject("c_1"), "name", "y")
    assert ring2.active()[0] == 1


def test_two_containers_rotating_at_once_agree_on_one_version(aws):
    # Given two containers that both see the branch key as overdue
    clock = Clock()
    ring_a, enc_a = _build(aws, clock)
    enc_a.encrypt_field(candidate_subject("c_0"), "name", "x")
    clock.t += 91 * DAY
    ring_b, enc_b = _build(aws, clock)
    # When both write, Then both end on version 2 and read each other's data
    ta = enc_a.encrypt_field(candidate_subject("c_a"), "name", "a")
    tb = enc_b.encrypt_field(candidate_subject("c_b"), "name", "b")
    assert ring_a.active()[0] == ring_b.active()[0] == 2
    assert enc_b.decrypt_field(candidate_subject("c_a"), "name", ta) == "a"
    assert enc_a.decrypt_field(candidate_subject("c_b"), "name", tb) == "b"


def test_an_explicit_rotation_moves_to_a_new_version(aws):
    ring, enc = _build(aws, Clock())
    t = enc.encrypt_field(candidate_subject("c_0"), "name", "x")
    assert ring.rotate() == 2
    assert ring.active()[0] == 2
    _, fresh = _build(aws, Clock())
    assert fresh.decrypt_field(candidate_subject("c_0"), "name", t) == "x"


# -- blind indexes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    ["+8613800000000", "+86 138 0000 0000", "008613800000000", "13800000000", "138-0000-0000", "(+86) 138.0000.0000"],
)
def test_mainland_phone_numbers_normalise_with_or_without_86(phone):
    assert normalize_phone(phone) == "8613800000000"


def test_other_numbers_are_left_as_digits():
    assert normalize_phone("+49 30 1234567") == "49301234567"
    assert normalize_phone("23800000000") == "23800000000"  # 11 digits but not a mainland mobile


def test_emails_fold_case_and_whitespace():
    assert normalize_email("  ZhangSan@Example.COM ") == "zhangsan@example.com"


def test_blind_indexes_match_equivalent_identifiers_and_hide_them(aws):
    blind = aws.blind
    a = dict(blind.identities("C-9", "ZhangSan@Example.com", "+86 138 0000 0000"))
    b = dict(blind.identities(" C-9 ", "zhangsan@example.com", "13800000000"))
    assert a == b
    assert list(a) == ["ext", "email", "phone"]
    for v in a.values():
        assert len(v) == 40 and "13800000000" not in v and "zhangsan" not in v
    # an email and an external id of the same text do not collide
    assert blind.of("ext", "x") != blind.of("email", "x")
    assert dict(blind.identities("C-10", None, None)) != {"ext": a["ext"]}


def test_the_blind_index_key_is_shared_by_containers_and_kept_wrapped(aws):
    first = aws.blind.of("email", "a@example.com")
    other = BlindIndex(aws.kms, aws.keys_table, aws.settings.kms_key_id)
    assert other.of("email", "a@example.com") == first
    item = aws.keys_table.get_item(Key=keys.BLIND_INDEX_KEY)["Item"]
    assert set(item) == {"pk", "ciphertext"}
