/** The first line of each Vietnamese CSV export, as a spreadsheet program receives it (after the BOM). */
export const ATTENDANCE_HEADER =
  'Mã tỉnh,Tỉnh/Thành phố,Mã trường,Trường,Mã giáo viên,Họ và tên,Môn dạy,Đã tham dự,Còn trong cuộc họp lúc xuất,' +
  '"Vào lần đầu lúc (giờ Việt Nam, UTC+7)","Rời lần cuối lúc (giờ Việt Nam, UTC+7)",Số lần vào,Số phút tham dự,Vào muộn (quá 5 phút)';
export const QUESTION_HEADER = 'Mã câu hỏi,Mã tỉnh,Tỉnh/Thành phố,Người hỏi,Mã trường,Trường,Câu hỏi,Số lượt ủng hộ,Đã trả lời,Đã ẩn,"Gửi lúc (giờ Việt Nam, UTC+7)"';
export const POLL_HEADER = 'Mã bình chọn,Câu hỏi bình chọn,Trạng thái,"Mở lúc (giờ Việt Nam, UTC+7)",Mã tỉnh,Tỉnh/Thành phố,Số người bình chọn,Lựa chọn,Số phiếu';

/** A CSV header line's cells (a quoted cell may hold a comma). */
export function headerCells(line: string): string[] {
  return line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((h) => h.replace(/^"|"$/g, ''));
}
