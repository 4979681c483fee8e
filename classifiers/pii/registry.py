"""Every pattern recognizer and NER tagger, by name: the one place to add one."""
from __future__ import annotations

from classifiers.pii import health_recognizers as health
from classifiers.pii import identifier_recognizers as ids
from classifiers.pii import personal_recognizers as personal
from classifiers.pii import phone_recognizers as phones
from classifiers.pii import recognizers as core
from classifiers.pii import secrets_recognizers as secrets
from classifiers.pii.recognizers import Recognizer

#: Pattern recognizers, by name.
RECOGNIZERS: dict[str, type[Recognizer]] = {cls.name: cls for cls in (
    core.EmailRecognizer, phones.PhoneRecognizer, phones.LoosePhoneRecognizer, core.CreditCardRecognizer, core.IbanRecognizer,
    core.UsSsnRecognizer, core.IpAddressRecognizer,
    ids.UsBankRoutingRecognizer, ids.UsPassportRecognizer, ids.UsDriverLicenseRecognizer,
    ids.MedicalRecordRecognizer, ids.BankAccountRecognizer, ids.MacAddressRecognizer, ids.UrlRecognizer,
    ids.CryptoWalletRecognizer, ids.UsTaxIdRecognizer, ids.UkNationalInsuranceRecognizer, ids.ZipCodeRecognizer,
    health.NhsNumberRecognizer, health.MedicalLicenseRecognizer,
    personal.DateOfBirthRecognizer, personal.AgeRecognizer, personal.StreetAddressRecognizer,
    personal.OrganizationSuffixRecognizer,
    secrets.AwsAccessKeyRecognizer, secrets.AwsSecretKeyRecognizer, secrets.GithubTokenRecognizer,
    secrets.SlackTokenRecognizer, secrets.StripeKeyRecognizer, secrets.JwtRecognizer,
    secrets.PrivateKeyRecognizer, secrets.GenericApiKeyRecognizer,
)}

#: Entity types only the NER tagger reports (see classifiers.pii.ner.LABEL_MAP).
NER_ONLY_ENTITIES: tuple[str, ...] = ("PERSON", "LOCATION")

#: Every entity type GuardStream can report, patterns first.
SUPPORTED_ENTITIES: tuple[str, ...] = tuple(dict.fromkeys(
    [cls.entity_type for cls in RECOGNIZERS.values()] + list(NER_ONLY_ENTITIES)))

#: NER taggers, by the name ``classifiers.pii.ner`` takes in config; ``none`` turns NER off.
NER_TAGGERS: tuple[str, ...] = ("rampart", "minilm", "none")


def get_recognizer(name: str) -> Recognizer:
    """A new instance of the recognizer registered as ``name``; unknown names list the valid ones."""
    try:
        cls = RECOGNIZERS[name]
    except KeyError:
        raise ValueError(f"unknown PII recognizer {name!r}; valid names: {', '.join(sorted(RECOGNIZERS))}") from None
    return cls()
