"""Hand-written customer-service phrasing for the redaction evaluation set, in English, Chinese and code-mixed.

`{V}` is the case's labelled value, `{N}` the distractor a negative case is about; named slots are either
labelled values (EMAIL, PHONE, CARD, CN_ID, IBAN, IP) or distractors (ORDER, PRICE, DATE, ...).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from tests.vault.redaction_case_distractors import (
    neg_bad_card,
    neg_bad_cn_id,
    neg_bad_cn_id_date,
    neg_bad_iban,
    neg_bad_ip,
    neg_bad_mobile,
    neg_bad_us,
    neg_date,
    neg_labelled_reference,
    neg_order,
    neg_postcode,
    neg_price,
    neg_quantity,
    neg_time,
    neg_timestamp,
    neg_tracking,
    neg_version,
)
from tests.vault.redaction_case_values import Value, gen_card, gen_cn_id, gen_email, gen_iban, gen_ip, gen_phone

# --- phrasing ------------------------------------------------------------------------------------------------

POSITIVE_TEMPLATES: dict[str, dict[str, list[str]]] = {
    "EMAIL": {
        "en": [
            "Hi, my email is {V}, please send the invoice there.",
            "Can you update my account email to {V}? Order {ORDER} is under the old one.",
            "I never got the confirmation at {V} 😞",
            "Contact me: {V}",
            "Please refund to the PayPal linked with {V}, total was {PRICE}.",
            "Send the return label to {V} before {DATE}.",
            "Email ({V}) is correct but I still can't log in.",
            "Reply to {V} or call me, whichever is easier.",
        ],
        "zh": [
            "我的邮箱是{V}，请把发票发到这里。",
            "邮箱：{V}，订单号{ORDER}",
            "麻烦发到{V}谢谢",
            "😊请联系{V}，{TIME}之前都在线",
            "注册邮箱{V}收不到验证码",
            "把退货地址发我邮箱{V}吧",
            "邮箱（{V}）已经验证过了",
        ],
        "mixed": [
            "我的email是{V}，order {ORDER}还没收到",
            "请发invoice到{V}，金额{PRICE}",
            "Hi客服，邮箱{V}登录不了",
            "account邮箱改成{V}，thx",
        ],
    },
    "PHONE": {
        "en": [
            "Please call me back at {V} about order {ORDER}.",
            "My new number is {V}, the old one no longer works.",
            "The courier couldn't reach me, try {V} after {TIME} please 🙏",
            "Contact: {V} (mobile).",
            "You can text me on {V}, thanks!",
            "Phone {V} / postcode {POSTCODE}",
            "Is {V} still the number on file for my account?",
            "Reach me at {V} any time before {DATE}.",
        ],
        "zh": [
            "我的手机号是{V}，订单{ORDER}一直没发货。",
            "麻烦快递员打{V}联系我，{TIME}以后在家。",
            "电话：{V}，收货人：王先生",
            "😊号码{V}，谢谢",
            "新手机号{V}，请帮我更新一下账户信息",
            "联系电话{V}（工作日）",
            "收件人李女士，电话{V}，邮编{POSTCODE}",
            "客服您好，我换号了，现在是{V}",
        ],
        "mixed": [
            "请call我{V}，order {ORDER}还没到",
            "我的phone是{V}，email稍后发",
            "WhatsApp: {V}，周末也可以",
            "delivery的时候打{V}",
        ],
    },
    "CREDIT_CARD": {
        "en": [
            "I was charged twice on my card {V}, amount {PRICE}.",
            "Card number: {V}, please refund there.",
            "My Visa {V} expires next month, can I update it?",
            "Please don't charge {V} again 😡",
            "Refund {PRICE} to card {V} for order {ORDER}.",
            "The payment with {V} failed on {DATE}.",
        ],
        "zh": [
            "我的卡号是{V}，被扣了两次款。",
            "退款请退到{V}这张卡",
            "银行卡{V}付款失败了，订单{ORDER}",
            "用信用卡{V}支付了{PRICE}，但订单显示未付款",
            "卡号：{V}",
            "😭{V}这张卡被盗刷了",
        ],
        "mixed": ["我用Visa卡{V}付的，order {ORDER}", "refund到卡{V}就行，谢谢", "card {V}扣款{PRICE}两次"],
    },
    "CN_ID": {
        "en": [
            "My Chinese ID number is {V} for the customs clearance.",
            "ID: {V}, name Zhang Wei.",
            "For the cross-border order {ORDER} customs needs my ID {V}.",
        ],
        "zh": [
            "我的身份证号是{V}，用于清关。",
            "身份证：{V}，姓名：李伟",
            "跨境订单{ORDER}需要实名认证，身份证号码{V}",
            "麻烦核对一下，身份证{V}是我本人的",
            "🆔{V}",
            "实名信息：王芳，{V}，电话稍后补充",
            "收件人身份证号{V}已上传",
        ],
        "mixed": ["customs要我的身份证{V}，怎么提交？", "ID号码{V}，order {ORDER}", "实名ID：{V} pls check"],
    },
    "IBAN": {
        "en": [
            "Please refund to my IBAN {V}.",
            "Bank transfer details: IBAN {V}, BIC DEUTDEFF.",
            "My account is {V}, the refund of {PRICE} hasn't arrived.",
            "IBAN: {V} (account holder: Anna Schmidt)",
            "Could you wire the {PRICE} to {V}?",
        ],
        "zh": [
            "请退款到我的IBAN：{V}",
            "我的欧洲银行账户是{V}，退款{PRICE}还没到账",
            "收款账户{V}，户名Anna",
            "IBAN号{V}，谢谢！",
        ],
        "mixed": ["refund请打到IBAN {V}，谢谢", "我在德国，IBAN是{V}", "account {V}，退款{PRICE}"],
    },
    "IP_ADDRESS": {
        "en": [
            "I can't log in, my IP is {V} and it says blocked.",
            "Your site blocked {V}, can you whitelist it?",
            "Login attempt from {V} on {DATE} wasn't me!",
            "The app ({VERSION}) fails from {V}.",
            "Router at {V} keeps dropping.",
        ],
        "zh": [
            "登录提示异常，IP地址{V}不是我",
            "我的IP是{V}，一直显示被封禁",
            "{DATE}有来自{V}的登录记录，不是我本人操作",
            "公司网络出口IP：{V}，请加白名单",
            "App {VERSION}，在{V}这个网络下打不开",
        ],
        "mixed": ["我的IP是{V}，login一直fail", "server {V}返回403", "VPN的IP {V}被ban了"],
    },
}

POSITIVE_GENERATORS: dict[str, Callable[[random.Random], Value]] = {
    "EMAIL": gen_email,
    "PHONE": gen_phone,
    "CREDIT_CARD": gen_card,
    "CN_ID": gen_cn_id,
    "IBAN": gen_iban,
    "IP_ADDRESS": gen_ip,
}
NAMED_POSITIVE_SLOTS = {
    "EMAIL": gen_email,
    "PHONE": gen_phone,
    "CARD": gen_card,
    "CN_ID": gen_cn_id,
    "IBAN": gen_iban,
    "IP": gen_ip,
}

MULTI_TEMPLATES: dict[str, list[str]] = {
    "en": [
        "Name: John, phone {PHONE}, email {EMAIL}, card {CARD}.",
        "Hi! 📦 Order {ORDER} ({PRICE}) — contact {EMAIL} or {PHONE}.",
        "Suspicious login from {IP}; my email {EMAIL} got a reset link.",
        "Call {PHONE} or email {EMAIL}, tracking {TRACKING}, delivered {DATE}.",
        "My details: {CN_ID}, {IBAN}, {PHONE}.",
    ],
    "zh": [
        "我叫李伟，手机{PHONE}，邮箱{EMAIL}，订单{ORDER}，金额{PRICE}。",
        "实名：{CN_ID}，电话：{PHONE}，退款卡号：{CARD}",
        "收件人电话{PHONE}，身份证{CN_ID}，快递单号{TRACKING}",
        "退款到IBAN {IBAN}，或者联系我{EMAIL}",
        "客户信息：{EMAIL}/{PHONE}/{IP}",
    ],
    "mixed": ["我的email {EMAIL}，phone {PHONE}，order {ORDER}", "IP {IP}登录了我的account，请冻结card {CARD}"],
}

NEGATIVE_KINDS: dict[str, tuple[Callable[[random.Random], Value], dict[str, list[str]]]] = {
    "order": (
        neg_order,
        {
            "en": ["Where is my order {N}? It's been a week.", "Order {N} arrived damaged, {QTY} broken."],
            "zh": ["订单号{N}什么时候发货？", "订单{N}申请退款，金额{PRICE}", "我的订单{N}显示已签收但没收到"],
        },
    ),
    "price": (
        neg_price,
        {
            "en": ["The price dropped from {N} to {PRICE} right after I bought it!", "Total {N} incl. shipping"],
            "zh": ["为什么我付了{N}？页面上写的是{PRICE}", "运费{N}太贵了"],
        },
    ),
    "date": (
        neg_date,
        {
            "en": ["I ordered on {N} and it still hasn't shipped.", "Can it arrive before {N}?"],
            "zh": ["{N}下的单，到现在还没发货", "预计{N}送达吗？"],
        },
    ),
    "time": (
        neg_time,
        {
            "en": ["Please deliver after {N}, nobody is home before.", "Are you open {N}?"],
            "zh": ["{N}以后再送吧", "营业时间是{N}吗？"],
        },
    ),
    "tracking": (
        neg_tracking,
        {
            "en": ["Tracking number {N} hasn't updated in 3 days.", "My parcel {N} is stuck in customs."],
            "zh": ["快递单号{N}查不到物流信息", "运单号：{N}，显示派送中", "包裹{N}一直没动"],
        },
    ),
    "quantity": (
        neg_quantity,
        {
            "en": ["I ordered {N} but only received one.", "Can I change the quantity to {N}?"],
            "zh": ["买了{N}，少发了一个", "改成{N}可以吗"],
        },
    ),
    "postcode": (
        neg_postcode,
        {
            "en": ["My postcode is {N}, do you deliver there?", "Ship to ZIP {N} please."],
            "zh": ["邮编{N}能送到吗？", "地址邮编是{N}"],
        },
    ),
    "version": (
        neg_version,
        {
            "en": ["The app crashes on {N} after the update.", "Firmware {N} bricked my speaker."],
            "zh": ["我的App是{N}，一直闪退", "更新到{N}以后登录不了"],
        },
    ),
    "bad_card": (
        neg_bad_card,
        {
            "en": ["My card {N} was declined, is it blocked?", "I typed {N} but it says invalid card number."],
            "zh": ["卡号{N}支付失败", "信用卡{N}绑不上"],
        },
    ),
    "bad_cn_id": (
        neg_bad_cn_id,
        {
            "en": ["My ID {N} was rejected at checkout."],
            "zh": ["身份证号{N}提示校验失败，是不是输错了？", "实名认证填的{N}通不过"],
        },
    ),
    "bad_cn_id_date": (
        neg_bad_cn_id_date,
        {
            "en": ["My ID {N} was rejected at checkout."],
            "zh": ["身份证号{N}提示校验失败，是不是输错了？", "实名认证填的{N}通不过"],
        },
    ),
    "bad_iban": (
        neg_bad_iban,
        {
            "en": ["I entered IBAN {N} and your form says it's wrong.", "Is {N} a valid account? The bank says no."],
            "zh": ["IBAN {N}提示无效", "账户{N}转账被退回了"],
        },
    ),
    "bad_mobile": (
        neg_bad_mobile,
        {
            "en": ["The number {N} on my account is wrong.", "Member ID {N}, points missing."],
            "zh": ["手机号{N}收不到验证码", "会员号{N}积分没到账"],
        },
    ),
    "bad_ip": (
        neg_bad_ip,
        {"en": ["Device {N} can't connect.", "Log line: {N} timeout"], "zh": ["设备{N}连不上网", "日志里是{N}超时"]},
    ),
    "bad_us": (
        neg_bad_us,
        {
            "en": [
                "The form shows {N} as my number, which is wrong.",
                "Call {N} for support? That's what the box says.",
            ],
            "zh": ["表单上显示{N}，这不是我的号码"],
        },
    ),
    "labelled_reference": (
        neg_labelled_reference,
        {
            "en": ["Order number: {N}", "tracking no. {N} still pending", "order #{N} never arrived"],
            "zh": ["订单号：{N}", "运单号{N}", "快递单号 {N} 没有更新"],
        },
    ),
    "timestamp": (neg_timestamp, {"en": ["Error at {N}, please check logs."], "zh": ["错误时间戳{N}", "报错时间{N}"]}),
    "mixed": (
        neg_order,
        {
            "en": ["Order {N}: {QTY} at {PRICE}, placed {DATE} {TIME}, tracking {TRACKING}, ZIP {POSTCODE}."],
            "zh": ["订单{N}，{QTY}，{PRICE}，{DATE}{TIME}发货，快递{TRACKING}，邮编{POSTCODE}"],
        },
    ),
}

PER_TYPE_CASES = {"EMAIL": 45, "PHONE": 90, "CREDIT_CARD": 45, "CN_ID": 45, "IBAN": 45, "IP_ADDRESS": 45}
MULTI_CASES = 40
PER_NEGATIVE_KIND = 15
EMOJI = ["🙏", "😀", "👍🏻", "📦", "🇨🇳", "❤️"]
LANGS = ("en", "zh", "mixed")

LITERAL_CASES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("zh", "我的手机号是13812345678，邮箱是li@example.cn", [("PHONE", "13812345678"), ("EMAIL", "li@example.cn")]),
    (
        "en",
        "Reach me on (415) 555-2671, 415-555-2671 or +1 415 555 2671.",
        [("PHONE", "(415) 555-2671"), ("PHONE", "415-555-2671"), ("PHONE", "+1 415 555 2671")],
    ),
    ("en", "UK office: +44 20 7946 0958", [("PHONE", "+44 20 7946 0958")]),
    ("zh", "电话+86 138 1234 5678或者138-1234-5678", [("PHONE", "+86 138 1234 5678"), ("PHONE", "138-1234-5678")]),
    (
        "en",
        "IBAN GB82 WEST 1234 5698 7654 32, or DE89370400440532013000.",
        [("IBAN", "GB82 WEST 1234 5698 7654 32"), ("IBAN", "DE89370400440532013000")],
    ),
    (
        "zh",
        "身份证11010519491231002X，卡号4111 1111 1111 1111",
        [("CN_ID", "11010519491231002X"), ("CREDIT_CARD", "4111 1111 1111 1111")],
    ),
    (
        "mixed",
        "👍🏻 邮箱１３８１２３４５６７８＠１６３．ｃｏｍ，IP ２００１:ｄｂ８::１",
        [("EMAIL", "１３８１２３４５６７８＠１６３．ｃｏｍ"), ("IP_ADDRESS", "２００１:ｄｂ８::１")],
    ),
    ("en", "A10023 ¥1299.00 $19.99 1,299 2024-03-15 2024年3月15日 15/03/2024 at 14:30", []),
    ("en", "Tracking: SF1234567890123, 1Z999AA10123456784, JD0012345678901, 78 1234 5678 9012", []),
    ("en", "Upgrade to version 1.2.3.4 (or v10.0.0.1) and restart; 12345678901 is not a mobile.", []),
    ("zh", "卡号4111 1111 1111 1112不对，身份证110105194912310021也不对，IBAN GB82 WEST 1234 5698 7654 33", []),
]
