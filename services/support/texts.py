"""The bot's fixed messages in English and Chinese (declines, hand-off notices, rejections)."""

from __future__ import annotations

_TEXTS: dict[str, tuple[str, str]] = {
    "out_of_scope": ("Sorry, I can only help with shopping at our store: orders, delivery, returns, refunds, "
                     "payments, your account and our products.",
                     "抱歉，我只能解答与本店购物相关的问题：订单、配送、退换货、退款、支付、账户和商品。"),
    "unsupported_language": ("Sorry, I can answer in English or Chinese only.", "抱歉，目前只支持中文和英文。"),
    "checking": ("Let me check that for you. ", "正在为您查询。"),
    "handoff.user_requested": ("You asked to talk to a person: a colleague will take over shortly.",
                               "您要求人工服务，客服同事马上为您处理。"),
    "handoff.negative_sentiment": ("I'm sorry about this. I'm passing you to a colleague who can help right away.",
                                   "非常抱歉给您带来困扰，正在为您转接人工客服。"),
    "handoff.repeated_failure": ("I'm not getting this right, so I'm passing you to a colleague.",
                                 "抱歉没能理解您的问题，正在为您转接人工客服。"),
    "handoff.low_confidence": ("I'm not sure I understood, so a colleague will take over.",
                               "我不太确定您的意思，正在为您转接人工客服。"),
    "handoff.data_unavailable": ("I can't reach your order details right now, so a colleague will take over.",
                                 "暂时无法查询您的订单信息，正在为您转接人工客服。"),
    "handoff.policy": ("A colleague handles this kind of request and will take over.", "此类问题由人工客服处理。"),
    "rejected.empty": ("Please type a message.", "请输入内容。"),
    "rejected.too_long": ("That message is too long (2,000 characters at most).", "消息过长（最多2000字）。"),
    "rejected.rate_limited": ("You're sending messages too quickly; please wait a moment.", "发送太频繁，请稍后再试。"),
    "rejected.session_ended": ("This conversation has ended; please start a new one.", "会话已结束，请重新开始。"),
    "ask.order_id": ("Which order is it about? Please send the order number (e.g. A10023).",
                     "请问是哪个订单？请提供订单号（例如A10023）。"),
}


def text(key: str, language: str) -> str:
    """The message `key` in `language` ("zh" or anything else for English)."""
    en, zh = _TEXTS[key]
    return zh if language == "zh" else en
