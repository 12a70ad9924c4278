"""Amounts of money as whole numbers of a currency's minor unit.

Every price, payment, fee and refund is stored as an integer count of the currency's minor
unit: cents for USD, yen for JPY (which has none smaller), fils for KWD (a thousandth of a
dinar). Columns and fields keep the historical ``_cents`` suffix, but what they count is this
minor unit. The number of decimals of each currency is its ISO 4217 exponent, kept here rather
than taken from CLDR (Babel's ``get_currency_precision``), because CLDR lists the digits people
write, not the ones ISO defines: it gives HUF, IDR or COP no decimals while ISO (and card
processors) give them two.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal
from decimal import InvalidOperation

#: Active ISO 4217 currencies with an exponent other than 2.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}
#: Active ISO 4217 currencies with two decimals. Funds codes and precious metals (XAU, XDR,
#: ...) are left out: nobody pays a tutor in them, and ISO gives most no minor unit at all.
_TWO_DECIMALS = frozenset(
    """AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN
    BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT
    LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN
    NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE
    SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES
    WST XCD XCG YER ZAR ZMW ZWG""".split()
)
#: Card networks settle three-decimal currencies to the nearest ten minor units, so a price
#: there moves in steps of 10 (0.010 KWD); everywhere else in steps of one minor unit.
_CHARGE_STEPS: dict[str, int] = dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 10)


class CurrencyError(ValueError):
    """A currency code that is not an active ISO 4217 currency."""


class AmountError(ValueError):
    """An amount that the currency cannot express (too many decimals, not a number, ...)."""


def site_currency() -> str:
    """The current application's currency (``currency`` setting), lower case: tutors' prices
    are in it."""
    from flask import current_app

    return str(current_app.config["CURRENCY"])


def normalise(currency: str) -> str:
    """The upper-case code of *currency*.

    :raises CurrencyError: it is not an active ISO 4217 currency.
    """
    code = currency.strip().upper() if isinstance(currency, str) else ""
    if code not in _EXPONENTS and code not in _TWO_DECIMALS:
        raise CurrencyError(f"{currency!r} is not an ISO 4217 currency code such as USD or JPY")
    return code


def exponent(currency: str) -> int:
    """Decimals of the currency's minor unit: 2 for USD, 0 for JPY, 3 for KWD."""
    return _EXPONENTS.get(normalise(currency), 2)


def charge_step(currency: str) -> int:
    """The smallest step, in minor units, in which a price of *currency* may move."""
    return _CHARGE_STEPS.get(normalise(currency), 1)


def to_minor(amount: Decimal | int | str, currency: str) -> int:
    """*amount* in currency units (``"35.00"`` dollars) as minor units (``3500``).

    :raises AmountError: not a finite number, or more decimals than the currency has.
    """
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise AmountError(f"{amount!r} is not an amount of money") from None
    if not value.is_finite():
        raise AmountError(f"{amount!r} is not an amount of money")
    places = exponent(currency)
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        raise AmountError(
            f"{normalise(currency)} has {places} decimal{'s' if places != 1 else ''}; "
            f"{amount} has more"
        )
    return int(minor)


def from_minor(minor: int, currency: str) -> Decimal:
    """Minor units back as an amount in currency units, with the currency's decimals."""
    places = exponent(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def format_amount(minor: int, currency: str) -> str:
    """``"35.00"``, ``"3500"`` (JPY) or ``"12.500"`` (KWD): the number a person reads."""
    return str(from_minor(minor, currency))


def format_money(minor: int, currency: str) -> str:
    """The amount followed by its code: ``"35.00 USD"``."""
    return f"{format_amount(minor, currency)} {normalise(currency)}"


def round_half_up(value: Decimal, step: int = 1) -> int:
    """*value* (in minor units, possibly fractional) rounded half up to a multiple of *step*.

    Prices and fees are rounded by this one rule, so a price and the fee taken from it can
    never disagree about which way half a cent goes.
    """
    steps = (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(steps) * step


def share(minor: int, percent: Decimal) -> int:
    """*percent* of *minor*, rounded half up to a whole minor unit."""
    return round_half_up(Decimal(minor) * percent / 100)


def pro_rata(hourly_minor: int, minutes: int, currency: str) -> int:
    """The price of *minutes* at *hourly_minor* an hour, on the currency's charge step."""
    return round_half_up(Decimal(hourly_minor) * minutes / 60, charge_step(currency))
