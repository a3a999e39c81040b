"""Every word the kiosk shows or says, Chinese first and English second.

Plain words for applicants who may be old, short-sighted or unused to screens: one short
instruction per screen, and every failure says what to do next (usually: go to the
consultation desk, 咨询台). Voice prompts are Chinese only: the kiosk's voice
(espeak-ng cmn) would spell English out letter by letter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from devices.voice.phrases import count_to_chinese, read_ticket_digits

if TYPE_CHECKING:
    from kiosk.state import State

LANGUAGES = ("zh", "en")

# key → (中文, English)
TEXTS: dict[str, tuple[str, str]] = {
    # the frame
    "lang.switch": ("English", "中文"),
    "nav.home": ("返回首页", "Start again"),
    "nav.back": ("返回上一步", "Back"),
    "nav.done": ("完成", "Done"),
    "nav.prev_page": ("上一页", "Previous"),
    "nav.next_page": ("下一页", "Next"),
    "nav.page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "busy": ("请稍候……", "Please wait…"),
    "starting": ("自助机正在启动，请稍候", "The kiosk is starting, please wait"),
    # home
    "home.welcome": ("您好，请选择要办理的事项", "Hello. What would you like to do?"),
    "home.ticket": ("取号", "Take a ticket"),
    "home.ticket.sub": ("放身份证，选择业务", "Lay your ID card, choose a service"),
    "home.appointment": ("预约签到", "Check in an appointment"),
    "home.appointment.sub": ("扫描预约或预申请二维码", "Scan your appointment QR code"),
    "home.case": ("办件进度查询", "Follow my case"),
    "home.case.sub": ("扫描受理回执或输入受理号", "Scan your receipt or type the case number"),
    "home.archive": ("不动产档案查询", "My property records"),
    "home.archive.sub": ("本人名下房产、抵押、查封", "Properties, mortgages and seizures"),
    "home.rate": ("评价服务", "Rate a service"),
    "home.rate.sub": ("放身份证或扫小票，为今天的服务评价", "ID card or ticket QR: rate today's service"),
    "home.card_hint": ("也可以直接把身份证放在读卡区取号",
                       "Or simply lay your ID card on the reader to take a ticket"),
    # faults shown on the home screen
    "fault.printer": ("打印机暂停使用：号码会显示在屏幕上，请记下您的号码",
                      "The printer is not working: your number will be shown on screen"),
    "fault.idcard": ("读卡器暂停使用", "The ID card reader is not working"),
    "fault.scanner": ("扫码器暂停使用", "The QR scanner is not working"),
    "offline.title": ("自助机暂停服务", "This kiosk is out of service"),
    "offline.body": ("请到咨询台，工作人员会为您取号。\n系统恢复后本机会自动重新开放。",
                     "Please go to the consultation desk; staff will give you a ticket.\n"
                     "The kiosk reopens by itself when the system is back."),
    # card
    "card.title.ticket": ("请把身份证放在读卡区", "Please lay your ID card on the reader"),
    "card.title.case": ("请放身份证，证明您是办件申请人",
                        "Lay your ID card to show you are the applicant"),
    "card.title.archive": ("请放身份证，查询本人名下不动产",
                           "Lay your ID card to see the properties in your name"),
    "card.title.appointment": ("请放身份证完成预约签到",
                               "Lay your ID card to check in your appointment"),
    # Two ways, one a line in Chinese (a wrap of its own would leave 码 alone).
    "card.title.rate": ("请放身份证，\n或扫描小票上的二维码",
                        "Lay your ID card, or scan the QR code on your ticket"),
    "card.where": ("读卡区在屏幕下方，有身份证图案的位置",
                   "The reader is below the screen, where the ID card sign is"),
    "card.skip": ("没带身份证，直接取号", "No ID card? Take a ticket without it"),
    # green channel
    "green.title": ("{name}，您好", "Hello, {name}"),
    "green.body": ("您已年满{age}周岁，可以走绿色通道，优先办理。\n需要走绿色通道吗？",
                   "You are {age} or older and may use the green channel to be served first.\n"
                   "Would you like to?"),
    "green.yes": ("需要，走绿色通道", "Yes, green channel"),
    "green.no": ("不用，正常排队", "No, queue as usual"),
    # choosing
    "business.title": ("请选择要办理的业务", "Please choose a service"),
    "business.hello": ("{name}，您好！", "Hello, {name}. "),
    "business.common": ("常办业务", "Most common"),
    "business.more": ("其他业务", "Other services"),
    "business.more.sub": ("按类别查找", "by category"),
    "categories.title": ("请选择业务类别", "Please choose a category"),
    "items.title": ("{category}：请选择具体事项", "{category}: please choose"),
    # materials
    "materials.title": ("办理「{item}」需要带齐以下材料", "For “{item}” please bring"),
    "materials.limit": ("承诺办结时限：{days}个工作日", "Promised time: {days} working days"),
    "materials.limit0": ("当场或当日办结", "Done on the spot or the same day"),
    "materials.more": ("下面还有更多材料，请用手指向上滑动查看",
                       "More below: slide the list up with your finger"),
    "materials.printed_short.ok": ("✓ 已打印，请取走", "✓ Printed: take it"),
    "materials.printed_short.paper_out": ("缺纸未打印，可拍照", "No paper: take a photo"),
    "materials.printed_short.offline": ("未能打印，可拍照", "Not printed: take a photo"),
    "materials.printed_short.failed": ("未能打印，可拍照", "Not printed: take a photo"),
    "materials.print": ("打印材料清单", "Print this list"),
    "materials.confirm": ("确认取号", "Take the ticket"),
    "materials.printed.ok": ("清单已打印，请在出纸口取走", "Printed: please take the list from the slot"),
    "materials.printed.paper_out": ("打印机缺纸，清单未能打印，可拍照留存",
                                    "The printer is out of paper; you may photograph the list"),
    "materials.printed.offline": ("打印机暂停使用，清单未能打印，可拍照留存",
                                  "The printer is not working; you may photograph the list"),
    "materials.printed.failed": ("清单未能打印，可拍照留存",
                                 "The list could not be printed; you may photograph it"),
    # the ticket
    "ticket.title": ("取号成功", "Here is your ticket"),
    "ticket.title_not_printed": ("号票没有打印出来，\n请记下您的号码",
                                 "Your ticket did not print:\nplease note your number"),
    "ticket.number_label": ("您的号码", "Your number"),
    "ticket.ahead": ("您前面还有 {n} 人", "{n} people ahead of you"),
    "ticket.ahead0": ("您前面没有人在等候", "Nobody is ahead of you"),
    "ticket.wait": ("预计等候：约 {low}–{high} 分钟", "Expected wait: about {low}–{high} minutes"),
    "ticket.wait_one": ("预计等候：约 {low} 分钟", "Expected wait: about {low} minutes"),
    "ticket.wait_soon": ("很快就会叫到您", "You will be called very soon"),
    "ticket.wait_unknown": ("等候时间暂无法估算", "The wait cannot be estimated now"),
    "ticket.windows": ("办理窗口：{windows}", "Served at {windows}"),
    "ticket.first_step": ("第一步先办：{business}", "First step: {business}"),
    "ticket.green": ("绿色通道 · 优先办理", "Green channel · served first"),
    "ticket.in_slot": ("预约签到成功，将优先叫号", "Checked in: you will be called first"),
    "ticket.outside_slot": ("不在预约时段内，按普通顺序排队",
                            "Outside your booked time: you queue as usual"),
    "ticket.printed": ("请在出纸口取走号票，留意叫号", "Please take your ticket and listen for your number"),
    "ticket.not_printed.paper_out": ("打印机缺纸，号票未能打印。\n请记下您的号码，或拍照留存；需要帮助请到咨询台。",
                                     "The printer is out of paper.\nPlease note or photograph your number; the desk can help."),
    "ticket.not_printed.offline": ("打印机暂停使用，号票未能打印。\n请记下您的号码，或拍照留存；需要帮助请到咨询台。",
                                   "The printer is not working.\nPlease note or photograph your number; the desk can help."),
    "ticket.not_printed.failed": ("号票未能打印。\n请记下您的号码，或拍照留存；需要帮助请到咨询台。",
                                  "The ticket could not be printed.\nPlease note or photograph your number; the desk can help."),
    # scanning
    "scan.title": ("请把预约二维码对准扫码口", "Hold your appointment QR code to the scanner"),
    "scan.where": ("扫码口在屏幕下方，二维码朝向扫码口，离开约一拳距离",
                   "The scanner is below the screen; hold the code about a hand's width away"),
    # the case
    "case_entry.title": ("请输入受理号", "Please type your case number"),
    "case_entry.scan": ("或者把受理回执上的二维码对准扫码口", "Or hold your receipt's QR code to the scanner"),
    "case_entry.placeholder": ("受理号在受理回执上", "The case number is on your receipt"),
    "case_entry.submit": ("确定", "OK"),
    "case_entry.delete": ("删除", "Delete"),
    "case_entry.clear": ("清空", "Clear"),
    "case_entry.letters": ("字母", "ABC"),
    "case_entry.digits": ("数字", "123"),
    "case.title": ("办件进度", "Case progress"),
    "case.number": ("受理号：{case_no}", "Case number: {case_no}"),
    "case.done": ("已完成", "Done"),
    "case.current": ("正在办理", "In progress"),
    "case.pending": ("待办理", "To come"),
    "case.next": ("下一步：{step}", "Next: {step}"),
    "case.finished": ("全部办结，可按通知领取证书", "All done: collect your certificate when notified"),
    # Short lines: what happened, by when it was due, what to do (a narrow panel in
    # landscape broke "应于 … 办结" inside 办结 when it was one sentence).
    "case.overdue": ("已超期\n应于 {date} 办结\n请到咨询台询问进度",
                     "Overdue\nDue by {date}\nPlease ask at the consultation desk"),
    "case.expected": ("预计办结：{date}", "Expected by {date}"),
    # the archive
    "archive.title": ("本人名下不动产（共 {n} 处）", "Properties in your name ({n})"),
    "archive.none": ("您名下没有查到已登记的不动产", "No registered property was found in your name"),
    "archive.certificate": ("不动产权证号：{v}", "Certificate: {v}"),
    "archive.area_use": ("面积：{area}    用途：{use}", "Area: {area}    Use: {use}"),
    "archive.right": ("权利：{right}    共有情况：{share}", "Right: {right}    Shares: {share}"),
    "archive.status": ("权利状态：{v}", "Rights status: {v}"),
    "archive.status.normal": ("正常", "normal"),
    "archive.right.owner": ("权利人", "rights holder"),
    "archive.right.prenotice": ("预告登记权利人", "pre-notice holder"),
    "enc.active": ("有效", "in force"),
    "enc.cancelled": ("已注销", "cancelled"),
    "enc.lifted": ("已解除", "lifted"),
    "archive.status.mortgaged": ("已抵押", "mortgaged"),
    "archive.status.seized": ("已查封", "seized"),
    "archive.mortgages": ("抵押：{n} 项", "Mortgages: {n}"),
    "archive.no_mortgage": ("抵押：无", "Mortgages: none"),
    "archive.seizures": ("查封：{n} 项", "Seizures: {n}"),
    "archive.no_seizure": ("查封：无", "Seizures: none"),
    "archive.originals": ("查看档案原貌\n共 {n} 页", "Register originals\n{n} pages"),
    "archive.photo": ("查看房屋照片", "See the photo of the property"),
    "images.original": ("档案原貌　第 {page} / {pages} 页", "Register originals: page {page} of {pages}"),
    "images.photo": ("房屋现貌照片", "Photo of the property"),
    "images.prev": ("◀ 上一页", "◀ Previous"),
    "images.next": ("下一页 ▶", "Next ▶"),
    "images.zoom_in": ("放大 ＋", "Zoom in +"),
    "images.zoom_out": ("缩小 －", "Zoom out −"),
    "images.reset": ("还原", "Fit"),
    "images.hint": ("两指张开可放大，按住拖动可移动；图像带有查看时间和本机水印，离开时会清除",
                    "Spread two fingers to zoom, drag to move; the image carries this kiosk's "
                    "watermark and is cleared when you leave"),
    "archive.privacy": ("离开前请点“完成”，屏幕内容会清除", "Press Done before leaving: the screen will be cleared"),
    # 好差评: rating a service of today's visit
    "rate.title": ("请您为这次服务评价", "How was this service?"),
    "rate.ticket": ("{number}号", "Ticket {number}"),
    "rate.window": ("{window}号窗口", "Window {window}"),
    "rate.staff": ("工作人员：{name}　工号 {staff}", "Served by {name}, staff no. {staff}"),
    "rate.staff_number": ("工作人员工号 {staff}", "Staff no. {staff}"),
    "rate.level.5": ("非常满意", "Very satisfied"),
    "rate.level.4": ("满意", "Satisfied"),
    "rate.level.3": ("基本满意", "Fairly satisfied"),
    "rate.level.2": ("不满意", "Dissatisfied"),
    "rate.level.1": ("非常不满意", "Very dissatisfied"),
    "rate_dims.title": ("还想对以下三个方面评价吗？", "Rate these three too?"),
    "rate_dims.chosen": ("您的评价：{level}。以下三项可以不评。",
                         "Your rating: {level}. These three are optional."),
    "rate_dims.again": ("点错了？再点一下即可取消", "Touched the wrong one? Touch it again to undo"),
    "rate_dims.submit": ("提交评价", "Submit"),
    "rate_dims.skip": ("跳过", "Skip"),
    "rate.auto": ("无人操作时，将只提交您的总体评价", "If left alone, only your rating is sent"),
    "rate_reason.title": ("很抱歉！请告诉我们哪里不满意", "We are sorry. What went wrong?"),
    "rate_reason.chosen": ("您的评价：{level}。原因可以不选。",
                           "Your rating: {level}. The reason is optional."),
    "rate_reason.skip": ("不选原因，直接提交评价", "Send my rating without a reason"),
    "rate_thanks.title": ("谢谢您的评价", "Thank you for your rating"),
    "rate_thanks.given": ("您的评价：{level}", "Your rating: {level}"),
    "rate_thanks.bad": ("您的意见已记录，我们会认真核实、整改",
                        "Your comment is recorded; we will look into it and put it right"),
    "rate_thanks.next": ("这次办事还有一项服务没有评价：", "One more service of this visit is waiting:"),
    "rate_thanks.next_button": ("评价下一项服务 ▶", "Rate the next service ▶"),
    "rate_thanks.card": ("请取回您的身份证", "Please take your ID card with you"),
    # demo mode (technicians, small on purpose)
    "demo.title": ("演示模式", "Demo"),
    "demo.card": ("卡:{name}", "Card: {name}"),
    "demo.lift": ("拿起卡", "Lift card"),
    "demo.slip_a": ("预约单", "Appt. slip"),
    "demo.slip_c": ("回执单", "Receipt"),
    "demo.paper": ("缺纸", "Paper"),
    "demo.offline": ("离线", "Offline"),
}

# Short lines under a screen's title: something the applicant can fix right here.
NOTICES: dict[str, tuple[str, str]] = {
    "card_unreadable": ("没有读到身份证，请拿起后重新放好，保持不动",
                        "The card could not be read. Lift it and lay it again, and hold still"),
    "reader_down": ("读卡器暂停使用，请到咨询台", "The card reader is not working; please go to the desk"),
    "reader_down_skip": ("读卡器暂停使用，您可以不刷身份证直接取号",
                         "The card reader is not working; you can take a ticket without it"),
    "id_required": ("本大厅取号需要身份证；没带身份证请到咨询台",
                    "This hall needs an ID card for a ticket; without one, please go to the desk"),
    "foreign_card": ("已读取您的证件；窗口办理时会再次核验",
                     "Your card was read; the window will check it again"),
    "slip_invalid": ("二维码无法识别，请换个角度再扫，或到咨询台",
                     "The QR code could not be read. Try another angle, or go to the desk"),
    "slip_wrong_kind": ("这张二维码不能在这里使用", "This QR code cannot be used here"),
    "case_empty": ("请先输入受理号", "Please type the case number first"),
}

# What went wrong → (title 中文, title English, what to do 中文, what to do English).
DESK = ("请到咨询台，工作人员会帮您办理", "Please go to the consultation desk; staff will help you.")
MESSAGES: dict[str, tuple[str, str, str, str]] = {
    "daily_cap_reached": ("这项业务今天的号已经取完", "No tickets are left today for this service",
                          "请到咨询台咨询，或改日再来办理", "Please ask at the consultation desk, or come another day."),
    # A journey whose later window has given out today's numbers: the first step's ticket
    # would lead to a window that cannot take the applicant, so none was issued.
    "journey_step_full": ("这项业务的后续环节今天的号已经取完",
                          "A later step of this service has no tickets left today",
                          "今天无法办完全程，所以没有出号。请到咨询台咨询，或改日再来办理",
                          "It cannot be finished today, so no ticket was issued. Please ask at "
                          "the consultation desk, or come another day."),
    "id_limit_reached": ("这张身份证今天取号次数已满", "This ID card has taken today's maximum of tickets",
                         *DESK),
    "already_waiting": ("您已经取过这项业务的号", "You already hold a ticket for this service",
                        "请留意叫号屏幕和广播，叫到您的号再去窗口",
                        "Please watch the screens and listen for your number."),
    "business_closed": ("这项业务现在暂停取号", "This service is not taking tickets now", *DESK),
    "green_not_eligible": ("绿色通道需由工作人员办理", "Staff grant the green channel", *DESK),
    "id_required": ("本大厅取号需要身份证", "This hall needs an ID card for a ticket", *DESK),
    "invalid_id_number": ("身份证信息无法识别", "The ID card could not be used", *DESK),
    "unknown_business": ("这项业务暂时不能在自助机办理", "This service cannot be chosen here now", *DESK),
    "unknown_journey": ("这项业务暂时不能在自助机办理", "This service cannot be chosen here now", *DESK),
    "invalid_input": ("自助机暂时无法办理", "The kiosk cannot do this now", *DESK),
    "unauthorized": ("自助机暂停服务", "This kiosk is out of service", *DESK),
    "forbidden": ("自助机暂停服务", "This kiosk is out of service", *DESK),
    "server_unreachable": ("系统暂时联系不上", "The system cannot be reached just now",
                           "请稍等片刻再试，或到咨询台取号", "Please try again shortly, or get a ticket at the desk."),
    "reader_down": ("读卡器暂停使用", "The ID card reader is not working", *DESK),
    "scanner_down": ("扫码器暂停使用", "The QR scanner is not working", *DESK),
    "feature_unavailable": ("本机暂未开通此项服务", "This kiosk does not offer this yet", *DESK),
    "foreign_card": ("这种证件请由工作人员协助办理", "Staff will help you with this kind of card",
                     *DESK),
    "appointment_invalid": ("预约二维码无法识别", "The appointment code could not be read", *DESK),
    "appointment_used": ("这个预约已经取过号", "This booking already has its ticket",
                         "请留意叫号屏幕和广播；号码遗失请到咨询台",
                         "Please watch the screens; if the ticket is lost, go to the desk."),
    # 预约 checked against the hall's stored bookings (issue 14).
    "booking_unknown": ("查不到这个预约", "This booking is not on record",
                        "请核对手机上的预约二维码；需要帮助请到咨询台",
                        "Please check the booking QR on your phone; the desk can help."),
    "booking_cancelled": ("这个预约已经取消", "This booking was cancelled",
                          "可以在本机现场取号，或到咨询台",
                          "You can take a ticket here now, or go to the desk."),
    "case_not_found": ("没有找到相符的办件", "No matching case was found",
                       "请核对受理回执上的受理号；只有申请人本人可以查询。需要帮助请到咨询台",
                       "Please check the number on your receipt; only an applicant may look. "
                       "The desk can help."),
    "rate_limited": ("查询太频繁，请稍后再试", "Too many lookups just now; please wait a little",
                     *DESK),
    "invalid_qr": ("回执二维码无法识别", "The receipt's QR code could not be read", *DESK),
    "proof_required": ("需要身份证或受理回执", "An ID card or the receipt is needed", *DESK),
    "image_refused": ("暂时无法显示这张影像", "This image cannot be shown now", *DESK),
    "archive_refused": ("暂时无法查询档案", "The records cannot be shown now", *DESK),
    # The server could not match the card's chip data with the registry's copy.
    "card_not_verified": ("这张身份证无法核验", "This ID card could not be verified",
                          "请把身份证平放在读卡区重新读取；仍不行请到咨询台",
                          "Lay the card flat on the reader again; if it still fails, please "
                          "go to the consultation desk."),
    "card_required": ("需要读取身份证", "The ID card must be read",
                      "请把身份证平放在读卡区", "Please lay your ID card flat on the reader."),
    "nothing_to_rate": ("今天没有可评价的服务", "No service of yours today is waiting for a rating",
                        "服务办结后，才能在这里评价\n已经评价过的服务，不用再评\n请取回身份证；有意见请到咨询台",
                        "A service can be rated here once the window has finished it, and once only.\n"
                        "Please take your ID card; for comments, please go to the consultation desk."),
    "already_evaluated": ("这项服务已经评价过了", "This service has already been rated",
                          "每项服务只能评价一次，谢谢您！有意见请到咨询台",
                          "Each service is rated once. Thank you! For comments, please go to the desk."),
    "not_served": ("这项服务还没有办结", "This service is not finished yet",
                   "办结后再来评价，也可以用窗口的评价器。需要帮助请到咨询台",
                   "Rate it once it is finished, here or on the window's pad. The desk can help."),
    "evaluation_closed": ("这里只能评价当天的服务", "Only today's services can be rated here",
                          "反映以前的服务，请拨打服务热线或到咨询台",
                          "About an earlier visit, please call the service hotline or go to the desk."),
    "follow_unknown": ("这张小票的二维码无法识别", "This ticket's code is not recognised",
                       "请确认是本大厅今天的小票，也可以放身份证评价。需要帮助请到咨询台",
                       "Please check it is this hall's ticket of today, or lay your ID card. "
                       "The desk can help."),
    "rate_refused": ("暂时无法评价", "The rating cannot be sent just now", *DESK),
    # 409 conflict: the write lost a race with another change, and nothing of it was kept.
    "conflict": ("刚才没有办成", "That did not go through",
                 "这次什么也没有记下。请再点一次；仍不行请到咨询台",
                 "Nothing was recorded. Please try once more; if it fails again, go to the "
                 "consultation desk."),
}
DEFAULT_MESSAGE = ("暂时无法办理", "This cannot be done now", *DESK)

# Spoken on entering a screen (Chinese only; see the module docstring).
VOICE: dict[str, str] = {
    "home": "您好，请点击屏幕选择要办理的事项，取号也可以直接放身份证",
    "offline": "自助机暂停服务，请到咨询台",
    "card": "请把身份证放在屏幕下方的读卡区",
    "card:card_unreadable": "没有读到身份证，请拿起后重新放好",
    "green": "您可以走绿色通道优先办理，需要请点击绿色按钮",
    "business": "请选择要办理的业务",
    "categories": "请选择业务类别",
    "items": "请选择具体事项",
    "materials": "请看清需要带的材料，可以打印清单，然后点击确认取号",
    "scan": "请把预约二维码对准屏幕下方的扫码口",
    "case_entry": "请输入受理号，或者扫描受理回执上的二维码",
    "case": "这是您的办件进度",
    "archive": "这是您名下的不动产，看完请点击完成",
    "images": "两指张开可以放大，看完请点击返回或完成",
    "rate": "请为刚才的服务评价，点击屏幕上的一个按钮",
    "rate_dims": "还可以为办事效率、业务水平、服务态度评价，也可以直接提交",
    "rate_reason": "很抱歉，请选择不满意的原因，也可以直接提交",
    "rate_thanks": "谢谢您的评价，请取回身份证",
    "message": "抱歉，暂时无法办理，请看屏幕提示",
}


def t(key: str, lang: str = "zh", **fields: object) -> str:
    zh, en = TEXTS[key]
    text = en if lang == "en" else zh
    return text.format(**fields) if fields else text


def notice(key: str, lang: str = "zh") -> str:
    if not key:
        return ""
    zh, en = NOTICES[key]
    return en if lang == "en" else zh


def message(code: str, lang: str = "zh") -> tuple[str, str]:
    """(what happened, what to do) for a failure code, in `lang`."""
    zh_t, en_t, zh_a, en_a = MESSAGES.get(code, DEFAULT_MESSAGE)
    return (en_t, en_a) if lang == "en" else (zh_t, zh_a)


def pick(lang: str, zh: str, en: str) -> str:
    """A server or catalogue text in `lang`, falling back to Chinese where no English exists."""
    return en if lang == "en" and en else zh


def voice_prompt(state: State) -> str:
    """What the kiosk says on arriving at this state (Chinese)."""
    screen = state.screen.value
    if screen == "ticket" and state.result is not None:
        r = state.result
        number = read_ticket_digits(r.ticket.number)
        said = (f"取号成功，您的号码是{number}号" if r.printed
                else f"号票没有打印出来，请记下您的号码：{number}号")
        ahead = r.ticket.waiting_ahead
        if ahead:
            said += f"，前面还有{count_to_chinese(ahead)}人"
        return said + ("，请取走号票" if r.printed else "，需要帮助请到咨询台")
    if screen == "rate_thanks" and state.to_rate:
        return "谢谢您的评价，这次办事还有一项服务可以评价"
    if screen == "rate_thanks" and state.applicant is None:
        return "谢谢您的评价"  # rated by the ticket's QR: no card to take back
    if screen == "message" and state.message is not None:
        title, action = message(state.message.code)
        return f"{title}。{action}"
    return VOICE.get(f"{screen}:{state.notice}") or VOICE.get(screen, "")
